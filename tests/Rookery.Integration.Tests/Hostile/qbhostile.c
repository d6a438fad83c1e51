/* Hostile clients of corosync's libqb IPC, for Rookery's HostileIpcTests and LogFloodTests.
 * Written from libqb's public headers (qb/qbipcc.h) and corosync's cpg.h; no upstream code.
 *
 *   qbhostile deny SERVICE SECONDS      raw connection requests in a loop (run as a user the daemon refuses)
 *   qbhostile garbage SERVICE SECONDS   libqb requests of random ids, sizes and bytes; reconnects when dropped
 *   qbhostile noread SERVICE            requests that are answered, never reading an answer, until the ring is full; then holds
 *   qbhostile hold SERVICE N            N connections set up and held
 *   qbhostile silent SERVICE N          N sockets connected that never send their connection request; held
 *   qbhostile join GROUP                joins a cpg group and never reads an event; holds
 *   qbhostile send GROUP SIZE SECONDS   joins GROUP and sends SIZE-byte messages as fast as flow control allows
 *
 * Each mode prints one "key=value ..." line of what it did (held modes print it before holding, then "holding").
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <qb/qbipcc.h>
#include <corosync/cpg.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void hold(void)
{
    printf("holding\n");
    fflush(stdout);
    for (;;) {
        pause();
    }
}

/* A socket connected to libqb's abstract name: "\0" + service, zero-padded to 108 bytes. */
static int connect_raw(const char *service)
{
    struct sockaddr_un address;
    memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    strncpy(address.sun_path + 1, service, sizeof(address.sun_path) - 2);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int deny(const char *service, double seconds)
{
    long attempts = 0, answered = 0, failed = 0;
    double end = now() + seconds;
    while (now() < end) {
        int fd = connect_raw(service);
        attempts++;
        if (fd < 0) {
            failed++;
            continue;
        }
        /* struct qb_ipc_connection_request: header {id -1 @0, size 24 @8}, max_msg_size @16. */
        unsigned char request[24] = {0};
        int32_t id = -1, size = 24;
        uint32_t max = 1024 * 1024;
        memcpy(request, &id, 4);
        memcpy(request + 8, &size, 4);
        memcpy(request + 16, &max, 4);
        char response[16384];
        if (send(fd, request, sizeof(request), MSG_NOSIGNAL) == sizeof(request) && recv(fd, response, sizeof(response), 0) > 0) {
            answered++;
        }
        close(fd);
    }
    printf("attempts=%ld answered=%ld failed=%ld\n", attempts, answered, failed);
    return 0;
}

static int garbage(const char *service, double seconds)
{
    long sent = 0, connects = 0, dropped = 0, answers = 0;
    double end = now() + seconds;
    unsigned seed = (unsigned)getpid();
    static unsigned char request[4096], response[1024 * 1024];
    qb_ipcc_connection_t *c = NULL;
    while (now() < end) {
        if (c == NULL) {
            c = qb_ipcc_connect(service, 1024 * 1024);
            if (c == NULL) {
                usleep(10000);
                continue;
            }
            connects++;
        }
        /* Mostly well-framed requests of random ids and lying size fields; one in 50 shorter than a header. */
        size_t length = (rand_r(&seed) % 50 == 0) ? (size_t)(rand_r(&seed) % 16) : 16 + (size_t)(rand_r(&seed) % (sizeof(request) - 16));
        for (size_t i = 0; i < length; i++) {
            request[i] = (unsigned char)rand_r(&seed);
        }
        if (length >= 16) {
            int32_t id = (int32_t)(rand_r(&seed) % 24) - 3;
            int32_t size = (rand_r(&seed) % 2) ? (int32_t)length : (int32_t)rand_r(&seed) - RAND_MAX / 2;
            memcpy(request, &id, 4);
            memcpy(request + 8, &size, 4);
        }
        ssize_t result = qb_ipcc_send(c, request, length);
        if (result == -EAGAIN) {
            usleep(1000);
        } else if (result < 0) {
            qb_ipcc_disconnect(c);
            c = NULL;
            dropped++;
            continue;
        } else {
            sent++;
        }
        while (qb_ipcc_recv(c, response, sizeof(response), 0) > 0) {
            answers++;
        }
        if (!qb_ipcc_is_connected(c)) {
            qb_ipcc_disconnect(c);
            c = NULL;
            dropped++;
        }
    }
    if (c != NULL) {
        qb_ipcc_disconnect(c);
    }
    printf("sent=%ld connects=%ld dropped=%ld answers=%ld\n", sent, connects, dropped, answers);
    return 0;
}

static int noread(const char *service)
{
    qb_ipcc_connection_t *c = qb_ipcc_connect(service, 1024 * 1024);
    if (c == NULL) {
        fprintf(stderr, "qb_ipcc_connect(%s) failed\n", service);
        return 1;
    }
    /* A 16-byte request of id 0 (quorum getquorate, cmap set with nothing, ...): each is answered. */
    unsigned char request[16] = {0};
    int32_t size = 16;
    memcpy(request + 8, &size, 4);
    long sent = 0;
    double last_progress = now();
    while (now() - last_progress < 2.0) {
        ssize_t result = qb_ipcc_send(c, request, sizeof(request));
        if (result > 0) {
            sent++;
            last_progress = now();
        } else if (result == -EAGAIN) {
            usleep(1000);
        } else {
            printf("sent=%ld error=%zd\n", sent, result);
            return 1;
        }
    }
    printf("sent=%ld full=1\n", sent);
    hold();
    return 0;
}

static int hold_connections(const char *service, int count, int silent)
{
    int made = 0;
    for (int i = 0; i < count; i++) {
        if (silent) {
            made += connect_raw(service) >= 0;
        } else {
            made += qb_ipcc_connect(service, 1024 * 1024) != NULL;
        }
    }
    printf("connections=%d of=%d\n", made, count);
    hold();
    return 0;
}

static void ignore_deliver(cpg_handle_t h, const struct cpg_name *g, uint32_t n, uint32_t p, void *m, size_t l)
{
    (void)h; (void)g; (void)n; (void)p; (void)m; (void)l;
}

static void ignore_confchg(cpg_handle_t h, const struct cpg_name *g, const struct cpg_address *m, size_t mn,
                           const struct cpg_address *l, size_t ln, const struct cpg_address *j, size_t jn)
{
    (void)h; (void)g; (void)m; (void)mn; (void)l; (void)ln; (void)j; (void)jn;
}

static cpg_handle_t join_group(const char *group)
{
    cpg_callbacks_t callbacks = {.cpg_deliver_fn = ignore_deliver, .cpg_confchg_fn = ignore_confchg};
    cpg_handle_t handle;
    if (cpg_initialize(&handle, &callbacks) != CS_OK) {
        fprintf(stderr, "cpg_initialize failed\n");
        exit(1);
    }
    struct cpg_name name;
    name.length = (uint32_t)strlen(group);
    memcpy(name.value, group, name.length);
    cs_error_t error;
    while ((error = cpg_join(handle, &name)) == CS_ERR_TRY_AGAIN) {
        usleep(10000);
    }
    if (error != CS_OK) {
        fprintf(stderr, "cpg_join failed: %d\n", error);
        exit(1);
    }
    return handle;
}

static int send_messages(const char *group, size_t size, double seconds)
{
    cpg_handle_t handle = join_group(group);
    char *message = calloc(1, size);
    struct iovec iov = {.iov_base = message, .iov_len = size};
    long sent = 0, again = 0;
    cs_error_t last = CS_OK;
    double end = now() + seconds;
    while (now() < end) {
        cs_error_t error = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1);
        if (error == CS_OK) {
            sent++;
        } else if (error == CS_ERR_TRY_AGAIN) {
            again++;
            usleep(1000);
        } else {
            last = error;
            break;
        }
        cpg_dispatch(handle, CS_DISPATCH_ALL);
    }
    printf("sent=%ld again=%ld error=%d\n", sent, again, last);
    cpg_finalize(handle);
    return last == CS_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 4 && strcmp(argv[1], "deny") == 0) {
        return deny(argv[2], atof(argv[3]));
    }
    if (argc >= 4 && strcmp(argv[1], "garbage") == 0) {
        return garbage(argv[2], atof(argv[3]));
    }
    if (argc >= 3 && strcmp(argv[1], "noread") == 0) {
        return noread(argv[2]);
    }
    if (argc >= 4 && (strcmp(argv[1], "hold") == 0 || strcmp(argv[1], "silent") == 0)) {
        return hold_connections(argv[2], atoi(argv[3]), strcmp(argv[1], "silent") == 0);
    }
    if (argc >= 3 && strcmp(argv[1], "join") == 0) {
        join_group(argv[2]);
        printf("joined=%s\n", argv[2]);
        hold();
    }
    if (argc >= 5 && strcmp(argv[1], "send") == 0) {
        return send_messages(argv[2], (size_t)atol(argv[3]), atof(argv[4]));
    }
    fprintf(stderr, "usage: qbhostile deny|garbage SERVICE SECONDS | noread SERVICE | hold|silent SERVICE N | join GROUP | send GROUP SIZE SECONDS\n");
    return 2;
}
