#include "line_breaks.h"
#include <unicode/ubrk.h>

int32_t qrpos_line_breaks(const char *locale, const uint16_t *text, int32_t length, int32_t *breaks, int32_t capacity) {
    UErrorCode status = U_ZERO_ERROR;
    UBreakIterator *iterator = ubrk_open(UBRK_LINE, locale, (const UChar *)text, length, &status);
    if (U_FAILURE(status) || iterator == NULL) return -1;
    int32_t count = 0;
    ubrk_first(iterator);
    for (int32_t next = ubrk_next(iterator); next != UBRK_DONE && next < length; next = ubrk_next(iterator)) {
        if (count < capacity) breaks[count] = next;
        count++;
    }
    ubrk_close(iterator);
    return count;
}
