// OpenSSL (libssl-dev) for Swift: the headers, and static inline wrappers for what
// Swift cannot import (function-like macros, stacks, callbacks written in C).
#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

static const int shim_SSL_ERROR_NONE = SSL_ERROR_NONE;
static const int shim_SSL_ERROR_WANT_READ = SSL_ERROR_WANT_READ;
static const int shim_SSL_ERROR_WANT_WRITE = SSL_ERROR_WANT_WRITE;
static const int shim_SSL_ERROR_ZERO_RETURN = SSL_ERROR_ZERO_RETURN;
static const int shim_SSL_ERROR_SYSCALL = SSL_ERROR_SYSCALL;

/// A password callback that has none: an encrypted private key fails to load instead of
/// OpenSSL asking for its passphrase on the terminal.
static inline int shim_no_password(char *buf, int size, int rwflag, void *userdata) {
    (void)buf; (void)size; (void)rwflag; (void)userdata;
    return 0;
}

/// Settings every context has, server or client: no passphrase prompt, TLS 1.2 and 1.3
/// only, no renegotiation or compression, a peer closing without close_notify read as
/// EOF, partial writes from a buffer that may move between retries, and buffers released
/// while idle. Returns 1 on success.
static inline int shim_ssl_ctx_configure_common(SSL_CTX *ctx) {
    SSL_CTX_set_default_passwd_cb(ctx, shim_no_password);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return 0;
    if (SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) return 0;
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                          | SSL_MODE_RELEASE_BUFFERS);
    return 1;
}

/// Server settings shared by every server context: the common ones, modern AEAD ciphers
/// with forward secrecy for TLS 1.2 (TLS 1.3's defaults are all modern), and a
/// server-side session cache shared by every context (`sid_ctx`). Returns 1 on success.
static inline int shim_ssl_ctx_configure_server(SSL_CTX *ctx) {
    if (!shim_ssl_ctx_configure_common(ctx)) return 0;
    if (SSL_CTX_set_cipher_list(ctx,
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) return 0;
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, 20480);
    SSL_CTX_set_timeout(ctx, 300);
    static const unsigned char sid_ctx[] = "sluice";
    if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1) return 0;
    return 1;
}

/// Client settings for connections to backends: the common ones, the peer's certificate
/// verified against `ca_file` (PEM, one or more CAs) or, when NULL, the system trust
/// store, and ALPN `http/1.1`. Returns 1 on success.
static inline int shim_ssl_ctx_configure_client(SSL_CTX *ctx, const char *ca_file) {
    if (!shim_ssl_ctx_configure_common(ctx)) return 0;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (ca_file != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) return 0;
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return 0;
    }
    static const unsigned char http11[] = "\x08http/1.1";
    return SSL_CTX_set_alpn_protos(ctx, http11, sizeof(http11) - 1) == 0;
}

/// Names the backend a client connection is for: its IP address, or its host name, sent
/// as SNI. Either is what the backend's certificate must be for. Returns 1 on success.
static inline int shim_ssl_set_backend_host(SSL *ssl, const char *host, int is_ip) {
    if (is_ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
    return SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
}

/// ALPN: picks `http/1.1` from the client's list; a client offering ALPN without it gets
/// the no_application_protocol alert (RFC 7301 3.2).
static inline int shim_alpn_select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                          const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    static const unsigned char http11[] = "\x08http/1.1";
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, http11, sizeof(http11) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

static inline void shim_ssl_ctx_set_alpn_http11(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, shim_alpn_select_http11, NULL);
}

/// ALPN with HTTP/2: picks `h2` when the client offers it, else `http/1.1` (h2 preferred,
/// whatever the client's order); a client offering neither gets no_application_protocol.
static inline int shim_alpn_select_h2(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                      const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    static const unsigned char h2[] = "\x02h2";
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, h2, sizeof(h2) - 1, in, inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    return shim_alpn_select_http11(ssl, out, outlen, in, inlen, arg);
}

static inline void shim_ssl_ctx_set_alpn_h2(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, shim_alpn_select_h2, NULL);
}

/// 1 when the handshake of `ssl` chose ALPN `h2`.
static inline int shim_ssl_alpn_is_h2(const SSL *ssl) {
    const unsigned char *proto = NULL;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl, &proto, &length);
    return length == 2 && proto[0] == 'h' && proto[1] == '2';
}

typedef int (*shim_servername_cb)(SSL *ssl, int *alert, void *arg);

/// Calls `cb(ssl, alert, arg)` during the handshake, once the client's SNI is known.
static inline void shim_ssl_ctx_set_servername_callback(SSL_CTX *ctx, shim_servername_cb cb, void *arg) {
    SSL_CTX_set_tlsext_servername_callback(ctx, cb);
    SSL_CTX_set_tlsext_servername_arg(ctx, arg);
}

static const int shim_SSL_TLSEXT_ERR_OK = SSL_TLSEXT_ERR_OK;

/// The SNI host name the client sent, or NULL.
static inline const char *shim_ssl_servername(const SSL *ssl) {
    return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
}

/// Copies the 80 bytes of session-ticket keys from `from` to `to`, so that tickets issued
/// before a certificate reload still resume after it. Returns 1 on success.
static inline int shim_ssl_ctx_copy_ticket_keys(SSL_CTX *from, SSL_CTX *to) {
    unsigned char keys[80];
    if (SSL_CTX_get_tlsext_ticket_keys(from, keys, sizeof(keys)) != 1) return 0;
    int ok = SSL_CTX_set_tlsext_ticket_keys(to, keys, sizeof(keys)) == 1;
    OPENSSL_cleanse(keys, sizeof(keys));
    return ok;
}

/// Writes the DNS names a certificate is for into `out` (capacity `cap`), each followed
/// by a NUL: its subjectAltName DNS entries, or its subject CN when it has none.
/// Returns the bytes written, or -1 when they do not fit.
static inline int shim_x509_dns_names(X509 *cert, char *out, int cap) {
    int used = 0;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names != NULL) {
        for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
            const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
            if (name->type != GEN_DNS) continue;
            int len = ASN1_STRING_length(name->d.dNSName);
            if (used + len + 1 > cap) { GENERAL_NAMES_free(names); return -1; }
            memcpy(out + used, ASN1_STRING_get0_data(name->d.dNSName), (size_t)len);
            used += len;
            out[used++] = 0;
        }
        GENERAL_NAMES_free(names);
        if (used > 0) return used;
    }
    X509_NAME *subject = X509_get_subject_name(cert);
    int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0) return 0;
    ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    int len = ASN1_STRING_length(cn);
    if (len + 1 > cap) return -1;
    memcpy(out, ASN1_STRING_get0_data(cn), (size_t)len);
    out[len] = 0;
    return len + 1;
}

/// The oldest error in this thread's OpenSSL error queue as "library: reason" text (empty
/// when none), then clears the queue so that the next call starts clean. Returns 1 when
/// that error was a private key that does not match its certificate.
static inline int shim_ssl_error_text(char *out, size_t cap) {
    unsigned long code = ERR_get_error();
    out[0] = 0;
    int mismatch = 0;
    if (code != 0) {
        const char *lib = ERR_lib_error_string(code);
        const char *reason = ERR_SYSTEM_ERROR(code) ? strerror(ERR_GET_REASON(code)) : ERR_reason_error_string(code);
        snprintf(out, cap, "%s: %s", lib ? lib : "OpenSSL", reason ? reason : "unknown error");
        mismatch = ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH;
    }
    ERR_clear_error();
    return mismatch;
}

#endif
