/*
 * cpgbig: one large message through libcpg (compiled by CorosyncIpcTests with gcc -lcpg). Joins GROUP, waits until
 * the group has MEMBERS processes, and (with SIZE > 0) sends one message of SIZE bytes, byte i = (i * 7 + 3) % 251
 * (libcpg sends it as PARTIAL_MCAST fragments when it is over ~1 MiB); then waits for one delivery and prints
 *   deliver <nodeid> <pid> <length> <ok|corrupt>
 * Usage: cpgbig GROUP MEMBERS SIZE
 */
#include <corosync/cpg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int members;
static int delivered;

static void deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid, uint32_t pid, void *msg, size_t len)
{
	const unsigned char *bytes = msg;
	size_t i;
	int ok = 1;
	for (i = 0; i < len; i++) {
		if (bytes[i] != (unsigned char)((i * 7 + 3) % 251)) {
			ok = 0;
			break;
		}
	}
	printf("deliver %u %u %zu %s\n", nodeid, pid, len, ok ? "ok" : "corrupt");
	fflush(stdout);
	delivered = 1;
}

static void confchg(cpg_handle_t handle, const struct cpg_name *group,
		    const struct cpg_address *member_list, size_t member_entries,
		    const struct cpg_address *left_list, size_t left_entries,
		    const struct cpg_address *joined_list, size_t joined_entries)
{
	members = (int)member_entries;
}

static cpg_callbacks_t callbacks = { .cpg_deliver_fn = deliver, .cpg_confchg_fn = confchg };

static int dispatch_until(cpg_handle_t handle, int fd, int *flag, int want, int seconds)
{
	int waited = 0;
	while (*flag < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) > 0 && cpg_dispatch(handle, CS_DISPATCH_ALL) != CS_OK) {
			return -1;
		}
		if (++waited > seconds * 10) {
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	cpg_handle_t handle;
	struct cpg_name group;
	int fd, want;
	size_t size, i;
	cs_error_t err;

	if (argc != 4) {
		fprintf(stderr, "usage: cpgbig GROUP MEMBERS SIZE\n");
		return 2;
	}
	want = atoi(argv[2]);
	size = (size_t)strtoul(argv[3], NULL, 10);
	group.length = strlen(argv[1]);
	memcpy(group.value, argv[1], group.length);
	if (cpg_initialize(&handle, &callbacks) != CS_OK || cpg_fd_get(handle, &fd) != CS_OK) {
		fprintf(stderr, "cpg_initialize failed\n");
		return 1;
	}
	while ((err = cpg_join(handle, &group)) == CS_ERR_TRY_AGAIN) {
		usleep(100000);
	}
	if (err != CS_OK) {
		fprintf(stderr, "cpg_join: %d\n", err);
		return 1;
	}
	if (dispatch_until(handle, fd, &members, want, 60) != 0) {
		fprintf(stderr, "the group never had %d members\n", want);
		return 1;
	}
	if (size > 0) {
		unsigned char *message = malloc(size);
		struct iovec iov = { .iov_base = message, .iov_len = size };
		for (i = 0; i < size; i++) {
			message[i] = (unsigned char)((i * 7 + 3) % 251);
		}
		while ((err = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1)) == CS_ERR_TRY_AGAIN) {
			usleep(10000);
		}
		if (err != CS_OK) {
			fprintf(stderr, "cpg_mcast_joined: %d\n", err);
			return 1;
		}
		free(message);
	}
	if (dispatch_until(handle, fd, &delivered, 1, 60) != 0) {
		fprintf(stderr, "no delivery\n");
		return 1;
	}
	cpg_finalize(handle);
	return 0;
}
