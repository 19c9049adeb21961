/* chokepoint: escaping control characters in text echoed to a terminal
 * (internal; escape.c). Every error message is escaped when it is made
 * (ckp_error_setv), and the command-line tool passes every name it prints in
 * a table through the same rule (ckp_cli_safe, engine/cli/table.h). */
#ifndef CKP_ESCAPE_IMPL_H
#define CKP_ESCAPE_IMPL_H

#include <stddef.h>

/* Copy src to dst (cap bytes, always terminated; cut at cap) with newline,
 * tab and carriage return as \n \t \r, every other C0 control and DEL as
 * \xHH, and the C1 controls (U+0080..U+009F) as \u00HH; everything else,
 * other UTF-8 included, as it is. Returns the length written. */
size_t ckp_escape_ctl(char *dst, size_t cap, const char *src);
/* 1 when s holds a character that ckp_escape_ctl would escape. */
int ckp_escape_needed(const char *s);

#endif
