/*
 * cpgpeer: a plain libcpg client for CorosyncIpcTests (compiled by the test with gcc -lcpg).
 * Joins GROUP, waits until the group has MEMBERS processes, sends COUNT messages "c<pid>-<i>", and prints
 * every callback on its own line until it has received EXPECT deliveries, then leaves:
 *   confchg <members> | joined <nodeid/pid/reason...> | left <...>   (members as nodeid/pid, in corosync's order)
 *   deliver <nodeid> <pid> <payload>
 * Usage: cpgpeer GROUP MEMBERS COUNT EXPECT
 */
#include <corosync/cpg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int members;
static int received;

static void deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid, uint32_t pid, void *msg, size_t len)
{
	printf("deliver %u %u %.*s\n", nodeid, pid, (int)len, (const char *)msg);
	fflush(stdout);
	received++;
}

static void print_list(const char *what, const struct cpg_address *list, size_t entries, int reasons)
{
	size_t i;
	printf("%s", what);
	for (i = 0; i < entries; i++) {
		if (reasons) {
			printf(" %u/%u/%u", list[i].nodeid, list[i].pid, list[i].reason);
		} else {
			printf(" %u/%u", list[i].nodeid, list[i].pid);
		}
	}
}

static void confchg(cpg_handle_t handle, const struct cpg_name *group,
		    const struct cpg_address *member_list, size_t member_entries,
		    const struct cpg_address *left_list, size_t left_entries,
		    const struct cpg_address *joined_list, size_t joined_entries)
{
	print_list("confchg", member_list, member_entries, 0);
	print_list(" | joined", joined_list, joined_entries, 1);
	print_list(" | left", left_list, left_entries, 1);
	printf("\n");
	fflush(stdout);
	members = (int)member_entries;
}

static void dispatch(cpg_handle_t handle, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 100) > 0 && cpg_dispatch(handle, CS_DISPATCH_ALL) != CS_OK) {
		fprintf(stderr, "cpg_dispatch failed\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	cpg_callbacks_t callbacks = { .cpg_deliver_fn = deliver, .cpg_confchg_fn = confchg };
	cpg_handle_t handle;
	struct cpg_name group;
	int want_members, count, expect, fd, i;
	cs_error_t err;
	char text[64];
	struct iovec iov;

	if (argc != 5) {
		fprintf(stderr, "usage: cpgpeer GROUP MEMBERS COUNT EXPECT\n");
		return 1;
	}
	want_members = atoi(argv[2]);
	count = atoi(argv[3]);
	expect = atoi(argv[4]);
	group.length = strlen(argv[1]);
	memcpy(group.value, argv[1], group.length);
	if ((err = cpg_initialize(&handle, &callbacks)) != CS_OK) {
		fprintf(stderr, "cpg_initialize: %d\n", err);
		return 2;
	}
	while ((err = cpg_join(handle, &group)) == CS_ERR_TRY_AGAIN) {
		usleep(10000);
	}
	if (err != CS_OK) {
		fprintf(stderr, "cpg_join: %d\n", err);
		return 2;
	}
	cpg_fd_get(handle, &fd);
	while (members < want_members) {
		dispatch(handle, fd);
	}
	for (i = 0; i < count; i++) {
		snprintf(text, sizeof(text), "c%d-%d", (int)getpid(), i);
		iov.iov_base = text;
		iov.iov_len = strlen(text);
		while ((err = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1)) == CS_ERR_TRY_AGAIN) {
			dispatch(handle, fd);
		}
		if (err != CS_OK) {
			fprintf(stderr, "cpg_mcast_joined: %d\n", err);
			return 2;
		}
	}
	while (received < expect) {
		dispatch(handle, fd);
	}
	cpg_leave(handle, &group);
	cpg_finalize(handle);
	return 0;
}
