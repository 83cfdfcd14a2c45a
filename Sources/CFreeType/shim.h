#pragma once
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H

/* FT_LOAD_* and FT_HAS_KERNING are macros Swift cannot import as used here. */
static inline FT_Int32 qrpos_ft_load_render(void) { return FT_LOAD_RENDER | FT_LOAD_TARGET_NORMAL; }
/* The same hinting without rasterising: the outline's box is the bitmap's. */
static inline FT_Int32 qrpos_ft_load_outline(void) { return FT_LOAD_TARGET_NORMAL; }
