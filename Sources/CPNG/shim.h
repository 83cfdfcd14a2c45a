#pragma once
#include <png.h>

/* The simplified API's format constants are macro expressions Swift does not import. */
static inline png_uint_32 qrpos_png_format_gray(void) { return PNG_FORMAT_GRAY; }
static inline png_uint_32 qrpos_png_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline png_uint_32 qrpos_png_format_rgba(void) { return PNG_FORMAT_RGBA; }
static inline png_uint_32 qrpos_png_image_version(void) { return PNG_IMAGE_VERSION; }
