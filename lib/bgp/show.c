/* show — read BIRD 2's `show protocols all` and `show route ... all`
 * replies into sessions and routes. The texts are BIRD 2.0's as captured
 * from a running daemon (tests/unit/test_bgp_ctl.c keeps them). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"

/* BIRD's reply codes (doc/reply_codes in BIRD's source). */
#define CODE_PROTO_SUMMARY	1002	/* one protocol's line of the table */
#define CODE_PROTO_DETAIL	1006	/* the lines `all` adds below it */
#define CODE_ROUTE		1007	/* "Table master4:", a route line, its next hops */
#define CODE_NET_NOT_FOUND	8001

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_space(const char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

/* Copy the next blank-separated token of *p into buf and move *p past it.
 * 1 for a token, 0 at the end of the text, -EPROTO if it does not fit. */
static int next_token(const char **p, char *buf, size_t len)
{
	const char *s = skip_space(*p), *e = s;

	while (*e && !is_space(*e))
		e++;
	*p = e;
	if (e == s)
		return 0;
	if ((size_t)(e - s) >= len)
		return -EPROTO;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return 1;
}

/* Free text (an Info column, an error): cut to fit, trailing blanks off. */
static void copy_text(char *dst, size_t len, const char *s)
{
	size_t n;

	s = skip_space(s);
	n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* "Key:   value" -> value, or NULL if the line is not that key. */
static const char *field(const char *line, const char *key)
{
	size_t n = strlen(key);

	line = skip_space(line);
	if (strncmp(line, key, n) || line[n] != ':')
		return NULL;
	return skip_space(line + n + 1);
}

/* An IPv4 address that is the whole of one token of s. */
static int addr_token(const char *s, uint32_t *a)
{
	char tok[64];

	if (next_token(&s, tok, sizeof(tok)) != 1)
		return -EPROTO;
	return addr_parse(tok, a) < 0 ? -EPROTO : 0;
}

/* A growable array of n elements of size `size`. */
static void *grow(void *arr, size_t n, size_t *cap, size_t size)
{
	void *p;

	if (n < *cap)
		return arr;
	*cap = *cap ? 2 * *cap : 8;
	p = realloc(arr, *cap * size);
	return p;
}

/* ---- sessions ---- */

/* A "Since" column is one token ("22:04:56.172", "2026-12-05"), or two
 * under `timeformat protocol iso long` ("2026-12-05 22:04:56"). */
static bool looks_like_time(const char *s)
{
	return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':';
}

/* "Mesh_172_31_0_3 BGP --- start 22:08:07.700 Active   Socket: Connection refused"
 * -> a session, or 0 with *is_bgp false for another protocol. */
static int session_summary(const char *line, struct bgp_session *s, bool *is_bgp)
{
	char kind[32], table[64], since[64];
	const char *p = line, *q;
	int ret;

	memset(s, 0, sizeof(*s));
	*is_bgp = false;
	if (next_token(&p, s->proto, sizeof(s->proto)) != 1 ||
	    next_token(&p, kind, sizeof(kind)) != 1)
		return -EPROTO;
	if (strcmp(kind, "BGP"))
		return 0;
	*is_bgp = true;
	if (next_token(&p, table, sizeof(table)) != 1 ||
	    next_token(&p, s->state, sizeof(s->state)) != 1 ||
	    next_token(&p, since, sizeof(since)) != 1)
		return -EPROTO;
	q = skip_space(p);
	if (looks_like_time(q) && next_token(&p, since, sizeof(since)) != 1)
		return -EPROTO;
	ret = next_token(&p, s->bgp_state, sizeof(s->bgp_state));
	if (ret < 0)
		return ret;
	copy_text(s->info, sizeof(s->info), p);
	return 0;
}

/* "Routes:         1 imported, 0 filtered, 1 exported, 1 preferred" (a
 * kernel or static channel leaves out "filtered"); channels add up. */
static int session_routes(const char *v, struct bgp_session *s)
{
	char num[24], word[24];
	const char *p = v;
	unsigned long n;
	char *end;
	size_t wl;
	int ret;

	for (;;) {
		ret = next_token(&p, num, sizeof(num));
		if (ret <= 0)
			return ret;
		if (next_token(&p, word, sizeof(word)) != 1)
			return -EPROTO;
		n = strtoul(num, &end, 10);
		if (*end || end == num)
			return -EPROTO;
		wl = strlen(word);
		if (wl && word[wl - 1] == ',')
			word[--wl] = '\0';
		if (!strcmp(word, "imported"))
			s->imported += (unsigned)n;
		else if (!strcmp(word, "filtered"))
			s->filtered += (unsigned)n;
		else if (!strcmp(word, "exported"))
			s->exported += (unsigned)n;
		else if (!strcmp(word, "preferred"))
			s->preferred += (unsigned)n;
	}
}

/* One line of `show protocols all`'s detail below a BGP protocol. */
static int session_detail(const char *line, struct bgp_session *s)
{
	const char *v;

	if ((v = field(line, "BGP state"))) {
		/* The summary's Info column already said it; the detail line
		 * is the authority when the two differ. */
		return next_token(&v, s->bgp_state, sizeof(s->bgp_state)) < 0 ? -EPROTO : 0;
	}
	if ((v = field(line, "Neighbor address")))
		return addr_token(v, &s->neighbor);
	if ((v = field(line, "Source address")))
		return addr_token(v, &s->source);
	if ((v = field(line, "Last error"))) {
		copy_text(s->last_error, sizeof(s->last_error), v);
		return 0;
	}
	if ((v = field(line, "Session"))) {
		/* "internal route-reflector AS4": BIRD says route-reflector
		 * when this side has `rr client` for the neighbor. */
		char tok[32];
		int ret;

		while ((ret = next_token(&v, tok, sizeof(tok))) == 1)
			if (!strcmp(tok, "route-reflector"))
				s->rr_client = true;
		return 0;
	}
	if ((v = field(line, "Routes")))
		return session_routes(v, s);
	return 0;
}

int bgp_sessions_parse(const struct bgp_reply *r, struct bgp_session **out, size_t *n)
{
	struct bgp_session *arr = NULL, cur, *p;
	bool in_bgp = false, is_bgp;
	size_t i, cnt = 0, cap = 0;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (!r->done)
		return -EPROTO;
	if (r->code != 0)
		return -EINVAL;
	for (i = 0; i < r->n; i++) {
		const struct bgp_line *l = &r->lines[i];

		if (l->code == CODE_PROTO_SUMMARY) {
			ret = session_summary(l->text, &cur, &is_bgp);
			if (ret < 0)
				goto err;
			in_bgp = is_bgp;
			if (!is_bgp)
				continue;
			p = grow(arr, cnt, &cap, sizeof(*arr));
			if (!p) {
				ret = -ENOMEM;
				goto err;
			}
			arr = p;
			arr[cnt++] = cur;
		} else if (l->code == CODE_PROTO_DETAIL && in_bgp) {
			ret = session_detail(l->text, &arr[cnt - 1]);
			if (ret < 0)
				goto err;
		}
	}
	*out = arr;
	*n = cnt;
	return 0;
err:
	free(arr);
	return ret;
}

int bgp_sessions(struct bgp_ctl *c, struct bgp_session **out, size_t *n)
{
	struct bgp_reply r;
	int ret;

	*out = NULL;
	*n = 0;
	ret = bgp_ctl_cmd(c, "show protocols all", &r);
	if (ret < 0)
		return ret;
	ret = bgp_sessions_parse(&r, out, n);
	bgp_reply_free(&r);
	return ret;
}

/* ---- routes ---- */

/* The bracket of a route line, "[Node_172_31_0_4 22:07:41.107 from 172.31.0.4]". */
static int route_source(const char **pp, struct bgp_route *rt)
{
	const char *p = skip_space(*pp), *end;
	char tok[64];
	size_t len;
	char *in;
	int ret;

	if (*p != '[')
		return -EPROTO;
	end = strchr(p, ']');
	if (!end)
		return -EPROTO;
	len = (size_t)(end - p - 1);
	in = strndup(p + 1, len);
	if (!in)
		return -ENOMEM;
	p = in;
	ret = next_token(&p, rt->proto, sizeof(rt->proto)) == 1 ? 0 : -EPROTO;
	while (ret == 0 && next_token(&p, tok, sizeof(tok)) == 1) {
		if (strcmp(tok, "from"))
			continue;
		if (next_token(&p, tok, sizeof(tok)) != 1 || addr_parse(tok, &rt->from) < 0)
			ret = -EPROTO;
	}
	free(in);
	*pp = end + 1;
	return ret;
}

/* "10.251.2.0/24        unicast [Mesh_172_31_0_3 22:07:11.539] * (100) [i]",
 * or the same with blanks where the prefix was: another route for the
 * prefix of the route before it. */
static int route_line(const char *line, const struct bgp_route *prev, struct bgp_route *rt)
{
	char tok[64];
	const char *p = line;
	int ret;

	memset(rt, 0, sizeof(*rt));
	if (is_space(*line)) {
		if (!prev)
			return -EPROTO;
		rt->prefix = prev->prefix;
	} else {
		if (next_token(&p, tok, sizeof(tok)) != 1 || cidr_parse(tok, &rt->prefix) < 0)
			return -EPROTO;
	}
	/* The route type: unicast, unreachable, blackhole, prohibit. */
	if (next_token(&p, tok, sizeof(tok)) != 1)
		return -EPROTO;
	ret = route_source(&p, rt);
	if (ret < 0)
		return ret;
	while ((ret = next_token(&p, tok, sizeof(tok))) == 1)
		if (!strcmp(tok, "*"))
			rt->best = true;
	return ret < 0 ? ret : 0;
}

/* A tab-indented line below a route: "via A on DEV", "dev DEV",
 * "Type: BGP univ", "BGP.next_hop: A", other attributes. */
static int route_attr(const char *line, struct bgp_route *rt)
{
	char tok[64];
	const char *p = skip_space(line), *v;

	if (!strncmp(p, "via ", 4)) {
		/* A multipath route lists one "via" per next hop; the first
		 * one stands for the route. */
		if (rt->gateway)
			return 0;
		p += 4;
		if (next_token(&p, tok, sizeof(tok)) != 1 || addr_parse(tok, &rt->gateway) < 0)
			return -EPROTO;
		if (next_token(&p, tok, sizeof(tok)) == 1 && !strcmp(tok, "on") &&
		    next_token(&p, rt->dev, sizeof(rt->dev)) != 1)
			return -EPROTO;
		return 0;
	}
	if (!strncmp(p, "dev ", 4)) {
		p += 4;
		return next_token(&p, rt->dev, sizeof(rt->dev)) == 1 ? 0 : -EPROTO;
	}
	if ((v = field(p, "Type"))) {
		rt->bgp = next_token(&v, tok, sizeof(tok)) == 1 && !strcmp(tok, "BGP");
		return 0;
	}
	if ((v = field(p, "BGP.next_hop")))
		return addr_token(v, &rt->bgp_next_hop);
	return 0;
}

int bgp_routes_parse(const struct bgp_reply *r, struct bgp_route **out, size_t *n)
{
	struct bgp_route *arr = NULL, *p;
	size_t i, cnt = 0, cap = 0;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (!r->done)
		return -EPROTO;
	if (r->code == CODE_NET_NOT_FOUND)
		return 0;
	if (r->code != 0)
		return -EINVAL;
	for (i = 0; i < r->n; i++) {
		const char *t = r->lines[i].text;

		if (t[0] == '\t') {
			/* Below a route; the "Table" line has none. */
			if (!cnt) {
				ret = -EPROTO;
				goto err;
			}
			ret = route_attr(t, &arr[cnt - 1]);
		} else if (r->lines[i].code != CODE_ROUTE || !t[0]) {
			continue;	/* the final "0000 ", a future code */
		} else if (!strncmp(t, "Table ", 6)) {
			continue;	/* "Table master4:" */
		} else {
			p = grow(arr, cnt, &cap, sizeof(*arr));
			if (!p) {
				ret = -ENOMEM;
				goto err;
			}
			arr = p;
			ret = route_line(t, cnt ? &arr[cnt - 1] : NULL, &arr[cnt]);
			if (ret == 0)
				cnt++;
		}
		if (ret < 0)
			goto err;
	}
	*out = arr;
	*n = cnt;
	return 0;
err:
	free(arr);
	return ret;
}

int bgp_routes(struct bgp_ctl *c, const char *args, struct bgp_route **out, size_t *n)
{
	struct bgp_reply r;
	char *cmd;
	int ret;

	*out = NULL;
	*n = 0;
	if (asprintf(&cmd, "show route %s%sall", args, *args ? " " : "") < 0)
		return -ENOMEM;
	ret = bgp_ctl_cmd(c, cmd, &r);
	free(cmd);
	if (ret < 0)
		return ret;
	ret = bgp_routes_parse(&r, out, n);
	bgp_reply_free(&r);
	return ret;
}
