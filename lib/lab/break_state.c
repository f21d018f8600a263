/* break_state — /run/podpath/LAB/break.json: the fault present and the
 * record of its changes, kernel messages as hex; see break_int.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lab/break_int.h"

#define BREAK_SCHEMA 1
#define MSG_MAX (64 * 1024)	/* a kernel message kept: one rule, route or element */

static json_t *hex(const uint8_t *b, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * len + 1);
	json_t *j;

	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	s[2 * len] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

static int unhex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int unhex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s);

	*out = NULL;
	*len = 0;
	if (n % 2 || n / 2 > MSG_MAX)
		return -EINVAL;
	if (!n)
		return 0;
	*out = malloc(n / 2);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = unhex_digit(s[2 * i]), lo = unhex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(*out);
			*out = NULL;
			return -EINVAL;
		}
		(*out)[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static json_t *change_json(const struct brk_change *ch)
{
	char mac[24];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ch->mac[0], ch->mac[1],
		 ch->mac[2], ch->mac[3], ch->mac[4], ch->mac[5]);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:I, s:I, "
			 "s:I, s:I, s:i, s:s, s:o}",
			 "kind", brk_kind_name(ch->kind), "netns", ch->netns,
			 "where", ch->shown.where, "what", ch->shown.what,
			 "before", ch->shown.before, "after", ch->shown.after,
			 "show", ch->shown.show, "key", ch->key, "name", ch->name, "old", ch->old,
			 "family", (json_int_t)ch->family, "ifindex", ch->ifindex,
			 "num", (json_int_t)ch->num, "num2", (json_int_t)ch->num2,
			 /* handles are 64-bit; the kernel's stay far below 2^63 */
			 "handle", (json_int_t)ch->handle, "position", (json_int_t)ch->position,
			 "state", (int)ch->state, "mac", mac, "msg", hex(ch->msg, ch->len));
}

static void str_get(json_t *o, const char *k, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(o, k));

	snprintf(buf, len, "%s", v ? v : "");
}

static int change_from_json(json_t *o, struct brk_change *ch)
{
	const char *msg = json_string_value(json_object_get(o, "msg"));
	const char *mac = json_string_value(json_object_get(o, "mac"));
	int kind = brk_kind_parse(json_string_value(json_object_get(o, "kind")));
	unsigned m[6];

	memset(ch, 0, sizeof(*ch));
	if (kind < 0 || !json_is_object(o))
		return -EINVAL;
	ch->kind = (enum brk_kind)kind;
	str_get(o, "netns", ch->netns, sizeof(ch->netns));
	str_get(o, "where", ch->shown.where, sizeof(ch->shown.where));
	str_get(o, "what", ch->shown.what, sizeof(ch->shown.what));
	str_get(o, "before", ch->shown.before, sizeof(ch->shown.before));
	str_get(o, "after", ch->shown.after, sizeof(ch->shown.after));
	str_get(o, "show", ch->shown.show, sizeof(ch->shown.show));
	str_get(o, "key", ch->key, sizeof(ch->key));
	str_get(o, "name", ch->name, sizeof(ch->name));
	str_get(o, "old", ch->old, sizeof(ch->old));
	ch->family = (uint32_t)json_integer_value(json_object_get(o, "family"));
	ch->ifindex = (int)json_integer_value(json_object_get(o, "ifindex"));
	ch->num = json_integer_value(json_object_get(o, "num"));
	ch->num2 = json_integer_value(json_object_get(o, "num2"));
	ch->handle = (uint64_t)json_integer_value(json_object_get(o, "handle"));
	ch->position = (uint64_t)json_integer_value(json_object_get(o, "position"));
	ch->state = (uint16_t)json_integer_value(json_object_get(o, "state"));
	if (mac && sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4],
			  &m[5]) == 6)
		for (int i = 0; i < 6; i++)
			ch->mac[i] = (uint8_t)m[i];
	if (!ch->netns[0])
		return -EINVAL;
	return msg ? unhex(msg, &ch->msg, &ch->len) : 0;
}

int brk_file_write(const char *lab, const struct brk_file *f, struct pp_err *e)
{
	char path[256], tmp[272];
	json_t *changes = json_array(), *root = NULL;
	FILE *fp;
	int ret = 0;

	for (size_t i = 0; changes && i < f->n; i++)
		if (json_array_append_new(changes, change_json(&f->v[i])) < 0) {
			json_decref(changes);
			changes = NULL;
		}
	if (changes)
		root = json_pack("{s:i, s:s, s:s, s:b, s:I, s:s, s:o}", "schema", BREAK_SCHEMA,
				 "fault", f->fault, "target", f->target, "hidden", f->hidden,
				 "applied", (json_int_t)f->applied, "trace", f->trace,
				 "changes", changes);
	if (!root)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "cannot build %s", LAB_BREAK_FILE);
	if (lab_path(lab, LAB_BREAK_FILE, path, sizeof(path)) < 0) {
		ret = pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "lab name too long");
		goto out;
	}
	/* Write then rename: a reader never sees half a record. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	errno = 0;
	fp = lab_file_create(tmp, LAB_MODE_FILE);
	if (fp && json_dumpf(root, fp, JSON_COMPACT) < 0) {
		fclose(fp);
		fp = NULL;
		errno = errno ? errno : EIO;
	}
	if (!fp || fclose(fp) != 0 || rename(tmp, path) < 0) {
		ret = pp_err_set(e, PP_EXIT_ENV, errno ? -errno : -EIO, "cannot write %s: %s", path,
				 strerror(errno ? errno : EIO));
		unlink(tmp);
	}
out:
	json_decref(root);
	return ret;
}

int brk_file_read(const char *lab, struct brk_file *f, struct pp_err *e)
{
	char path[256];
	json_error_t je;
	json_t *root, *changes;
	int ret = 1;

	memset(f, 0, sizeof(*f));
	if (lab_path(lab, LAB_BREAK_FILE, path, sizeof(path)) < 0)
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "lab name too long");
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : pp_err_set(e, PP_EXIT_ENV, -errno, "cannot read %s: %s",
							 path, strerror(errno));
	root = json_load_file(path, 0, &je);
	if (!root)
		return pp_err_set(e, PP_EXIT_FAIL, -EIO, "%s: line %d: %s", path, je.line, je.text);
	str_get(root, "fault", f->fault, sizeof(f->fault));
	str_get(root, "target", f->target, sizeof(f->target));
	str_get(root, "trace", f->trace, sizeof(f->trace));
	f->hidden = json_is_true(json_object_get(root, "hidden"));
	f->applied = json_integer_value(json_object_get(root, "applied"));
	changes = json_object_get(root, "changes");
	if (json_integer_value(json_object_get(root, "schema")) != BREAK_SCHEMA ||
	    !json_is_array(changes) || !f->fault[0]) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -EIO, "%s: not a fault record of schema %d", path,
				 BREAK_SCHEMA);
		goto out;
	}
	f->v = calloc(json_array_size(changes) + 1, sizeof(*f->v));
	if (!f->v) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(changes); i++) {
		if (change_from_json(json_array_get(changes, i), &f->v[i]) < 0) {
			brk_change_free(&f->v[i]);
			ret = pp_err_set(e, PP_EXIT_FAIL, -EIO, "%s: change %zu is damaged", path, i);
			goto out;
		}
		f->n++;
	}
out:
	json_decref(root);
	if (ret < 0)
		brk_file_free(f);
	return ret;
}

int brk_file_remove(const char *lab, struct pp_err *e)
{
	char path[256];

	if (lab_path(lab, LAB_BREAK_FILE, path, sizeof(path)) < 0)
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "lab name too long");
	if (unlink(path) < 0 && errno != ENOENT)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot remove %s: %s", path,
				  strerror(errno));
	return 0;
}

void brk_file_free(struct brk_file *f)
{
	for (size_t i = 0; f->v && i < f->n; i++)
		brk_change_free(&f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
