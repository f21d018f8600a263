/* tls — the HTTPS probe's TLS: a libssl client on the probe's connected
 * socket, with SNI and the server's certificate verified against the lab's
 * CA, then the HTTP exchange over it. The outcome says what the handshake
 * found (protocol, the certificate's subject, the verification), so a trace
 * shows where TLS was terminated and whether the client could trust it. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "trace/probe.h"

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Blocking I/O bounded by what is left of the deadline: simpler than
 * driving libssl's WANT_READ/WANT_WRITE over a non-blocking socket. */
static void io_bound(int fd, long long deadline_ms)
{
	long long left = deadline_ms - mono_ms();
	struct timeval tv = { .tv_sec = left > 0 ? left / 1000 : 0,
			      .tv_usec = left > 0 ? (left % 1000) * 1000 : 1000 };

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void tls_fail(struct probe_result *r, const char *what)
{
	unsigned long e = ERR_peek_last_error();	/* the innermost cause */
	char reason[160] = "";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	r->outcome = PROBE_TLS_FAILED;
	snprintf(r->answer, sizeof(r->answer), "TCP handshake completed, then TLS failed: %s%s%s",
		 what, reason[0] ? ": " : "", reason);
	snprintf(r->tls, sizeof(r->tls), "failed: %s", what);
}

/* What the handshake established, for the report; false when the
 * certificate is not to be trusted. */
static bool tls_describe(SSL *ssl, const struct probe *p, struct probe_result *r)
{
	X509 *peer = SSL_get1_peer_certificate(ssl);
	char subject[128] = "?";
	/* No certificate at all verifies as X509_V_OK: not to be trusted. */
	long v = peer ? SSL_get_verify_result(ssl) : X509_V_ERR_UNSPECIFIED;

	if (peer) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, subject,
					  sizeof(subject));
		X509_free(peer);
	}
	snprintf(r->tls, sizeof(r->tls), "%s, certificate CN=%s for %s: %s%s", SSL_get_version(ssl),
		 subject, p->host, v == X509_V_OK ? "verified by " : "NOT verified: ",
		 v == X509_V_OK ? (p->ca_file[0] ? p->ca_file : "the system CAs")
				: X509_verify_cert_error_string(v));
	if (v == X509_V_OK)
		return true;
	r->outcome = PROBE_TLS_FAILED;
	snprintf(r->answer, sizeof(r->answer), "TLS handshake completed, but the certificate "
		 "for %s was not verified: %s (a client that checks, as curl does, sends no request)",
		 p->host, X509_verify_cert_error_string(v));
	return false;
}

void probe_https_run(struct probe *p, long long deadline_ms, struct probe_result *r)
{
	SSL *ssl = NULL;
	char req[640], buf[4096], name[sizeof(p->host)];
	size_t len = 0;
	int n;

	io_bound(p->fd, deadline_ms);
	if (!p->tls_ctx) {	/* its error is still queued: tls_fail reports it */
		tls_fail(r, p->tls_err ? p->tls_err : "no TLS context");
		return;
	}
	ERR_clear_error();	/* an earlier failure must not be blamed here */
	if (!(ssl = SSL_new(p->tls_ctx))) {
		tls_fail(r, "out of memory");
		goto out;
	}
	/* A rooted name ("web.example.test.") is the same host: SNI and the
	 * certificate's names carry no trailing dot (curl strips it too). */
	snprintf(name, sizeof(name), "%.*s", (int)(strlen(p->host) - (p->host[0] &&
			p->host[strlen(p->host) - 1] == '.')), p->host);
	SSL_set_tlsext_host_name(ssl, name);
	SSL_set1_host(ssl, name);
	SSL_set_fd(ssl, p->fd);
	if (SSL_connect(ssl) != 1) {
		tls_fail(r, "handshake");
		goto out;
	}
	if (!tls_describe(ssl, p, r)) {
		SSL_shutdown(ssl);
		goto out;
	}
	n = probe_http_request(p, req, sizeof(req));
	if (SSL_write(ssl, req, n) != n) {
		tls_fail(r, "cannot send the request");
		goto out;
	}
	while (len < sizeof(buf) - 1) {
		int got = SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len));

		if (got <= 0)
			break;
		len += (size_t)got;
	}
	buf[len] = '\0';
	probe_http_answer(buf, len, r);
out:
	SSL_free(ssl);
}

void probe_tls_prepare(struct probe *p)
{
	SSL_CTX *ctx;
	bool loaded;

	ERR_clear_error();
	p->tls_err = "out of memory";
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return;
	/* Verified after the handshake, not inside it, so the report can say
	 * which certificate came and why it was not trusted. Then no request
	 * goes out, as from any client that checks. Without a lab CA
	 * (--netns), the system's store, as curl would use. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	loaded = p->ca_file[0] ? SSL_CTX_load_verify_locations(ctx, p->ca_file, NULL) == 1
			       : SSL_CTX_set_default_verify_paths(ctx) == 1;
	if (!loaded) {
		p->tls_err = p->ca_file[0] ? "cannot read the CA file"
					   : "cannot read the system's CA store";
		SSL_CTX_free(ctx);
		return;
	}
	p->tls_err = NULL;
	p->tls_ctx = ctx;
}

void probe_tls_free(struct probe *p)
{
	SSL_CTX_free(p->tls_ctx);
	p->tls_ctx = NULL;
}
