#pragma once
#include <ft2build.h>
#include FT_FREETYPE_H

/* FT_LOAD_* and FT_HAS_KERNING are macros Swift cannot import as used here. */
static inline FT_Int32 qrpos_ft_load_render(void) { return FT_LOAD_RENDER | FT_LOAD_TARGET_NORMAL; }
