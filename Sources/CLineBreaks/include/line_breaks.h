#pragma once
#include <stdint.h>

/* Line-break opportunities of UTF-16 `text` by ICU's rules for `locale` (UAX #14, with dictionaries for Thai,
 * Khmer, Lao and Burmese). Writes the UTF-16 offsets after which a line may end (the end excluded) into `breaks`,
 * up to `capacity`; returns how many there are, or -1 when ICU fails. Plain C types only: ICU's own would clash
 * with the copy Foundation carries. */
int32_t qrpos_line_breaks(const char *locale, const uint16_t *text, int32_t length, int32_t *breaks, int32_t capacity);
