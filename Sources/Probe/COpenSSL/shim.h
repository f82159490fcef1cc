// OpenSSL for the probe's STARTTLS (Debian: libssl-dev).
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
