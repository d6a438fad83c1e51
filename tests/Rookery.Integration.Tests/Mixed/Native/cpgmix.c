/*
 * cpgmix: a small libcpg client for Rookery's mixed-cluster tests (compiled by the tests with gcc -lcpg).
 *
 * usage: cpgmix GROUP COUNT INTERVAL_MS SIZE START_MEMBERS
 *
 * Joins GROUP, waits until the group has START_MEMBERS processes, then sends COUNT messages (one every
 * INTERVAL_MS; none when COUNT is 0), each SIZE bytes in the
 * payload layout of `rookery group send`: "rkq1", the sequence number (u64 little-endian, from 1), filler.
 * Prints one line per event on stdout, flushed, until SIGTERM:
 *   C <member count> <nodeid>/<pid> ...          group membership after a change
 *   D <nodeid> <pid> <seq>                        a delivered message (seq -1 when the payload has no marker)
 *   S <sent>                                      after the last message is sent
 */
#include <corosync/cpg.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
static size_t largest_membership;

static void on_signal(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

static void on_deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid, uint32_t pid, void *msg, size_t msg_len)
{
    (void)handle;
    (void)group;
    long long seq = -1;
    if (msg_len >= 12 && memcmp(msg, "rkq1", 4) == 0) {
        uint64_t value = 0;
        const unsigned char *bytes = (const unsigned char *)msg + 4;
        for (int i = 7; i >= 0; i--) {
            value = (value << 8) | bytes[i];
        }
        seq = (long long)value;
    }
    printf("D %u %u %lld\n", nodeid, pid, seq);
    fflush(stdout);
}

static void on_confchg(cpg_handle_t handle, const struct cpg_name *group,
    const struct cpg_address *members, size_t member_count,
    const struct cpg_address *left, size_t left_count,
    const struct cpg_address *joined, size_t joined_count)
{
    (void)handle;
    (void)group;
    (void)left;
    (void)left_count;
    (void)joined;
    (void)joined_count;
    if (member_count > largest_membership) {
        largest_membership = member_count;
    }
    printf("C %zu", member_count);
    for (size_t i = 0; i < member_count; i++) {
        printf(" %u/%u", members[i].nodeid, members[i].pid);
    }
    printf("\n");
    fflush(stdout);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: cpgmix GROUP COUNT INTERVAL_MS SIZE START_MEMBERS\n");
        return 2;
    }
    long count = atol(argv[2]);
    long interval = atol(argv[3]);
    size_t size = (size_t)atol(argv[4]);
    size_t start_members = (size_t)atol(argv[5]);
    if (size < 12 || size > 65536 || interval < 0 || count < 0) {
        fprintf(stderr, "cpgmix: SIZE must be 12..65536, COUNT and INTERVAL_MS non-negative\n");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    cpg_callbacks_t callbacks = { .cpg_deliver_fn = on_deliver, .cpg_confchg_fn = on_confchg };
    cpg_handle_t handle;
    cs_error_t error = cpg_initialize(&handle, &callbacks);
    if (error != CS_OK) {
        fprintf(stderr, "cpgmix: cpg_initialize: %d\n", error);
        return 1;
    }
    struct cpg_name name;
    name.length = (uint32_t)strlen(argv[1]);
    memcpy(name.value, argv[1], name.length);
    while ((error = cpg_join(handle, &name)) == CS_ERR_TRY_AGAIN) {
        usleep(10000);
    }
    if (error != CS_OK) {
        fprintf(stderr, "cpgmix: cpg_join: %d\n", error);
        return 1;
    }
    int fd;
    cpg_fd_get(handle, &fd);

    unsigned char *payload = malloc(size);
    long sent = 0;
    int64_t next = 0;
    while (!stop_requested) {
        int sending = largest_membership >= start_members && count > sent;
        if (sending && sent == 0 && next == 0) {
            next = now_ms();
        }
        int64_t wait = sending ? next - now_ms() : 200;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int ready = poll(&pfd, 1, wait > 0 ? (int)wait : 0);
        if (ready > 0) {
            error = cpg_dispatch(handle, CS_DISPATCH_ALL);
            if (error != CS_OK && error != CS_ERR_TRY_AGAIN) {
                fprintf(stderr, "cpgmix: cpg_dispatch: %d\n", error);
                return 1;
            }
        }
        if (sending && now_ms() >= next) {
            uint64_t seq = (uint64_t)sent + 1;
            memcpy(payload, "rkq1", 4);
            for (int i = 0; i < 8; i++) {
                payload[4 + i] = (unsigned char)(seq >> (8 * i));
            }
            for (size_t i = 12; i < size; i++) {
                payload[i] = (unsigned char)('a' + (i % 26));
            }
            struct iovec iov = { .iov_base = payload, .iov_len = size };
            error = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1);
            if (error == CS_OK) {
                sent++;
                next += interval;
                if (sent == count) {
                    printf("S %ld\n", sent);
                    fflush(stdout);
                }
            } else if (error != CS_ERR_TRY_AGAIN) {
                fprintf(stderr, "cpgmix: cpg_mcast_joined: %d\n", error);
                return 1;
            }
        }
    }
    cpg_finalize(handle);
    free(payload);
    return 0;
}
