/* chokepoint: the one rule for echoing untrusted text to a terminal
 * (escape_impl.h): names and paths from scenario files, results files and the
 * command line may hold ESC, newline or other control characters, which
 * would let them move the cursor, retitle the window or forge lines. */
#include "engine/core/escape_impl.h"

#include <stdio.h>
#include <string.h>

size_t ckp_escape_ctl(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    if (cap == 0)
        return 0;
    for (const unsigned char *s = (const unsigned char *)src; s && *s; s++) {
        char esc[8] = {0};
        unsigned c = *s;
        if (c == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F) /* C1 controls U+0080..U+009F */
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)*++s);
        else if (c == '\n' || c == '\t' || c == '\r')
            snprintf(esc, sizeof esc, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
        else if (c < 0x20 || c == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", c);
        const char *put = esc[0] ? esc : (const char *)s;
        size_t len = esc[0] ? strlen(esc) : 1;
        if (o + len >= cap)
            break;
        memcpy(dst + o, put, len);
        o += len;
    }
    dst[o] = '\0';
    return o;
}

int ckp_escape_needed(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        if (*p < 0x20 || *p == 0x7f || (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F))
            return 1;
    return 0;
}
