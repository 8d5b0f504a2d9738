/*
 * listen.c - the listening socket of `serve`: the address parsed (and
 * checked before anything is written, so a mistyped --address is a usage
 * error), and the socket bound before the state directory or certificates are
 * touched, so a port in use says so and leaves nothing behind.
 * libmicrohttpd then serves on this socket (MHD_OPTION_LISTEN_SOCKET).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* Split "host:port" or "[v6]:port" into host and port; -1 when malformed. */
static int split(const char *address, char *host, size_t hostlen, const char **port)
{
    if (address[0] == '[') {
        const char *end = strchr(address, ']');
        if (!end || end[1] != ':' || (size_t)(end - address - 1) >= hostlen)
            return -1;
        memcpy(host, address + 1, (size_t)(end - address - 1));
        host[end - address - 1] = '\0';
        *port = end + 2;
        return 0;
    }
    const char *colon = strrchr(address, ':');
    if (!colon || (size_t)(colon - address) >= hostlen)
        return -1;
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    *port = colon + 1;
    return 0;
}

int wh_address_parse(const char *address, struct sockaddr_storage *ss, socklen_t *sslen, bool *any, char *err,
                     size_t errlen)
{
    char host[256];
    const char *port = "";
    char *end = NULL;
    unsigned long p = 0;
    bool ok = split(address, host, sizeof host, &port) == 0 && port[0] >= '0' && port[0] <= '9';
    if (ok) {
        p = strtoul(port, &end, 10);
        ok = !*end && p <= 65535;
    }
    if (!ok) {
        snprintf(err, errlen,
                 "server address '%s' is not HOST:PORT, :PORT or [IPv6]:PORT with a port from 0 to 65535", address);
        return -1;
    }
    memset(ss, 0, sizeof *ss);
    *any = !*host;
    if (!*host) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_addr = in6addr_any;
        a6->sin6_port = htons((uint16_t)p);
        *sslen = sizeof *a6;
        return 0;
    }
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "server address '%s': cannot resolve '%s': %s", address, host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Why bind() or listen() failed, for a person. */
static const char *why(int e)
{
    switch (e) {
    case EADDRINUSE:
        return "address in use (another process listens there)";
    case EACCES:
        return "permission denied (ports below 1024 need privileges)";
    case EADDRNOTAVAIL:
        return "address not available (this machine has no such address)";
    default:
        return strerror(e);
    }
}

static int open_bound(const struct sockaddr_storage *ss, socklen_t len, bool dual, int *e)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *e = errno;
        return -1;
    }
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (dual)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, SOMAXCONN) < 0) {
        *e = errno;
        close(fd);
        return -1;
    }
    return fd;
}

int wh_listen(const char *address, int *fd, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    bool any;
    if (wh_address_parse(address, &ss, &len, &any, err, errlen) < 0)
        return -1;
    int e = 0;
    *fd = open_bound(&ss, len, any, &e);
    if (*fd < 0 && any && (e == EAFNOSUPPORT || e == EADDRNOTAVAIL)) {
        /* No IPv6 here: every IPv4 address. */
        uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        memset(&ss, 0, sizeof ss);
        a4->sin_family = AF_INET;
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
        a4->sin_port = port;
        *fd = open_bound(&ss, sizeof *a4, false, &e);
    }
    if (*fd < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", address, why(e));
        return -1;
    }
    return 0;
}
