// OpenSSL (Debian: libssl-dev): the probe's STARTTLS client, and the capture reader's record decryption
// with secrets from a key log (EVP ciphers and KDFs).
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
