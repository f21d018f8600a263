/* pki — the lab's certificate authority and the ingress's certificate,
 * made with libcrypto at setup: an ECDSA P-256 CA (ca.pem, which users,
 * tests and trace trust) and one server certificate for every TLS host of
 * the lab's Ingresses (subjectAltName), signed by it. Nothing is kept but
 * the files under /run/podpath/LAB/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lab/internal.h"

#define DAYS 365

static EVP_PKEY *key_new(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* One X509v3 extension from its config text, with issuer as its context. */
static int ext_add(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -EINVAL;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -ENOMEM;
}

/* A certificate for key with common name cn, issued by issuer (NULL:
 * self-issued), valid from a minute ago for DAYS days; not yet signed. */
static X509 *cert_new(EVP_PKEY *key, const char *cn, X509 *issuer)
{
	X509 *x = X509_new();
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509_NAME *name;

	if (!x || RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;	/* positive */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -60) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)DAYS * 86400) || !X509_set_pubkey(x, key))
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"podpath",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name))
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

/* Write x (or, when NULL, the private key k) as PEM to path, mode mode. */
static int pem_write(const char *path, mode_t mode, X509 *x, EVP_PKEY *k)
{
	FILE *f = lab_file_create(path, mode);
	int ok;

	if (!f)
		return -errno;
	ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0 || !ok)
		return -EIO;
	return 0;
}

int lab_pki_write(const struct lab *l, const char *const *hosts, size_t nhosts,
		  struct pp_err *e)
{
	char ca_path[256], crt[256], key[256], cn[96], *san = NULL;
	EVP_PKEY *ca_key = NULL, *srv_key = NULL;
	X509 *ca = NULL, *srv = NULL;
	size_t n = 0, cap = 1;
	int ret = -ENOMEM;

	lab_path(l->name, LAB_CA_FILE, ca_path, sizeof(ca_path));
	lab_path(l->name, "ingress/tls.crt", crt, sizeof(crt));
	lab_path(l->name, "ingress/tls.key", key, sizeof(key));
	snprintf(cn, sizeof(cn), "podpath lab %s CA", l->name);
	ca_key = key_new();
	srv_key = key_new();
	if (!ca_key || !srv_key)
		goto out;
	ca = cert_new(ca_key, cn, NULL);
	if (!ca || ext_add(ca, ca, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") < 0 ||
	    ext_add(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    ext_add(ca, ca, NID_subject_key_identifier, "hash") < 0 ||
	    !X509_sign(ca, ca_key, EVP_sha256()))
		goto out;
	/* One certificate names every TLS host: nginx serves them all with it. */
	for (size_t i = 0; i < nhosts; i++)
		cap += strlen(hosts[i]) + sizeof(",DNS:");
	san = malloc(cap);
	if (!san)
		goto out;
	san[0] = '\0';
	for (size_t i = 0; i < nhosts; i++)
		n += (size_t)snprintf(san + n, cap - n, "%sDNS:%s", i ? "," : "", hosts[i]);
	/* X.509 caps a common name at 64 characters; clients check the SAN,
	 * so a longer first host leaves the CN generic. */
	srv = cert_new(srv_key, nhosts && strlen(hosts[0]) <= 64 ? hosts[0] : "podpath ingress", ca);
	if (!srv || (nhosts && ext_add(srv, ca, NID_subject_alt_name, san) < 0) ||
	    ext_add(srv, ca, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    ext_add(srv, ca, NID_key_usage, "critical,digitalSignature") < 0 ||
	    ext_add(srv, ca, NID_ext_key_usage, "serverAuth") < 0 ||
	    ext_add(srv, ca, NID_authority_key_identifier, "keyid:always") < 0 ||
	    !X509_sign(srv, ca_key, EVP_sha256()))
		goto out;
	ret = pem_write(ca_path, LAB_MODE_FILE, ca, NULL);
	if (ret == 0)
		ret = pem_write(crt, LAB_MODE_FILE, srv, NULL);
	if (ret == 0)
		ret = pem_write(key, LAB_MODE_SECRET, NULL, srv_key);
out:
	free(san);
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_FAIL, ret, "cannot make the lab's certificates in %s: %s",
				  ca_path, ret == -ENOMEM ? "libcrypto failed" : strerror(-ret));
	return 0;
}
