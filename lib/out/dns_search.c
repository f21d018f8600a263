/* out/dns_search — see dns_search.h. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "addr.h"
#include "out/dns_search.h"

/* "NOERROR 10.96.0.1", "NOERROR, no A record", "NXDOMAIN", "no answer". */
static void answer_fmt(const struct trace_dns_try *t, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	if (t->res == DNS_NOT_ASKED)
		snprintf(buf, len, "not asked (podpath could not send it)");
	else if (t->res == DNS_CONNREFUSED)
		snprintf(buf, len, "unreachable (ECONNREFUSED)");
	else if (t->rcode < 0)
		snprintf(buf, len, "no answer");
	else if (t->rcode == 0 && t->a)
		snprintf(buf, len, "NOERROR %s", addr_fmt(t->a, a));
	else if (t->rcode == 0 && t->an)
		snprintf(buf, len, "NOERROR, records but no A");
	else if (t->rcode == 0)
		snprintf(buf, len, "NOERROR, no A record");
	else
		snprintf(buf, len, "%s", dns_rcode_name(t->rcode));
}

/* Why the lookup stopped where it did, in glibc's terms, into buf; false
 * when it simply ran out of names (or found one). */
static bool stop_why(const struct trace_dns_search *s, char *buf, size_t len)
{
	for (size_t i = 0; i < s->ntried; i++) {
		const struct trace_dns_try *t = &s->tried[i];
		bool as_is_first = i == 0 && (s->rooted || s->dots >= s->rv.ndots);

		if (t->res == DNS_NOT_ASKED) {
			snprintf(buf, len, "podpath could not send the query for %s: nothing after "
				 "it was asked", t->name);
			return true;
		}
		if (as_is_first)
			continue;	/* glibc walks the search list after any failure */
		if (t->res == DNS_CONNREFUSED) {
			snprintf(buf, len, "%s: no server reached (ECONNREFUSED), glibc gives up "
				 "at once", t->name);
			return true;
		}
		if (t->res == DNS_TIMEOUT || t->res == DNS_REFUSED || t->res == DNS_OTHER) {
			snprintf(buf, len, "%s: %s, glibc ends the search list there and asks the "
				 "name as it is", t->name, t->res == DNS_TIMEOUT ? "no answer" :
				 dns_rcode_name(t->rcode));
			return true;
		}
	}
	return false;
}

/* Why this order, in glibc's terms. */
static const char *order_why(const struct trace_dns_search *s)
{
	if (s->rooted)
		return "ends in a dot: asked as it is, no search list";
	if (s->dots >= s->rv.ndots)
		return "at least ndots: asked as it is first, then with each search domain";
	return "fewer than ndots: each search domain first, then as it is";
}

void out_dns_search_text(FILE *f, const struct trace_dns_search *s)
{
	char ans[48], why[DNS_NAME_MAX + 128];

	if (!s->done)
		return;
	fprintf(f, "resolver: %s: search", s->conf);
	for (size_t i = 0; i < s->rv.nsearch; i++)
		fprintf(f, " %s", s->rv.search[i]);
	fprintf(f, "%s; ndots:%u\n", s->rv.nsearch ? "" : " (none)", s->rv.ndots);
	fprintf(f, "  \"%s\" has %zu dot%s, %s\n", s->name, s->dots, s->dots == 1 ? "" : "s",
		order_why(s));
	for (size_t i = 0; i < s->ntried; i++) {
		answer_fmt(&s->tried[i], ans, sizeof(ans));
		fprintf(f, "  %zu. %-40s %s%s\n", i + 1, s->tried[i].name, ans,
			(ssize_t)i == s->answered ? "  <- answered (traced below)" :
			i == s->traced ? "  (traced below)" : "");
	}
	if (stop_why(s, why, sizeof(why)))
		fprintf(f, "  %s\n", why);
	if (s->answered < 0)
		fprintf(f, "  no name asked was found\n");
	else if (!s->tried[s->answered].a)
		fprintf(f, "  found without an A record: glibc stops there, no address\n");
	fputc('\n', f);
}

json_t *out_dns_search_json(const struct trace_dns_search *s)
{
	json_t *o, *search, *tried;

	if (!s->done)
		return NULL;
	search = json_array();
	tried = json_array();
	for (size_t i = 0; i < s->rv.nsearch; i++)
		json_array_append_new(search, json_string(s->rv.search[i]));
	for (size_t i = 0; i < s->ntried; i++) {
		const struct trace_dns_try *t = &s->tried[i];
		char a[ADDR_STRLEN];

		json_array_append_new(tried, json_pack("{s:s, s:o, s:o, s:i, s:b, s:b}", "name",
						       t->name, "rcode", t->rcode < 0 ? json_null() :
						       json_string(dns_rcode_name(t->rcode)),
						       "address", t->a ? json_string(addr_fmt(t->a, a)) :
						       json_null(), "answers", (int)t->an,
						       "asked", t->res != DNS_NOT_ASKED,
						       "traced", i == s->traced));
	}
	o = json_pack("{s:s, s:o, s:i, s:o, s:o}", "resolv_conf", s->conf, "search", search,
		      "ndots", (int)s->rv.ndots, "tried", tried, "answered",
		      s->answered < 0 ? json_null() : json_string(s->tried[s->answered].name));
	return o;
}

void out_dns_search_names(char *buf, size_t len, const struct trace_dns_search *s)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->ntried && n < len; i++) {
		char ans[48];
		int w;

		answer_fmt(&s->tried[i], ans, sizeof(ans));
		w = snprintf(buf + n, len - n, "%s%s (%s)", i ? ", " : "", s->tried[i].name, ans);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}
