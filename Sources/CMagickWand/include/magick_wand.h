#pragma once
#include <stddef.h>
#include <sys/types.h>

/* ImageMagick 6's MagickWand (Debian 12: libmagickwand-6.q16-6), loaded with dlopen at the first image that
 * neither libpng nor libjpeg reads (BMP, GIF, TIFF, WebP, 16-bit PNG, …): a counter that only ever sees its
 * camera never maps ImageMagick and the ten libraries it pulls in, and a board without the package still reads
 * PNG, JPEG and PGM. Only the calls qrpos makes are declared, with ImageMagick 6's ABI (its soname 6);
 * ImagingTests compiles ImageMagick's own headers to check every value below. */

#pragma clang assume_nonnull begin

typedef struct QrposMagickWand QrposMagickWand;
typedef struct QrposPixelWand QrposPixelWand;

enum {
    QRPOS_MAGICK_FALSE = 0,
    QRPOS_MAGICK_TRUE = 1,               /* MagickBooleanType */
    QRPOS_MAGICK_CHAR_PIXEL = 1,         /* StorageType CharPixel */
    QRPOS_MAGICK_WIDTH_RESOURCE = 9,     /* ResourceType WidthResource */
    QRPOS_MAGICK_HEIGHT_RESOURCE = 10,   /* ResourceType HeightResource */
    QRPOS_MAGICK_UNDEFINED_EXCEPTION = 0 /* ExceptionType UndefinedException */
};

/* The library's functions under their own names; enums are passed as int, MagickSizeType as unsigned long long. */
typedef struct {
    void (*MagickWandGenesis)(void);
    int (*MagickSetResourceLimit)(int type, unsigned long long limit);
    QrposMagickWand *_Nullable (*_Nonnull NewMagickWand)(void);
    QrposMagickWand *_Nullable (*_Nonnull DestroyMagickWand)(QrposMagickWand *wand);
    void (*ClearMagickWand)(QrposMagickWand *wand);
    int (*MagickPingImage)(QrposMagickWand *wand, const char *path);
    int (*MagickReadImage)(QrposMagickWand *wand, const char *path);
    void (*MagickResetIterator)(QrposMagickWand *wand);
    int (*MagickNextImage)(QrposMagickWand *wand);
    size_t (*MagickGetImageWidth)(QrposMagickWand *wand);
    size_t (*MagickGetImageHeight)(QrposMagickWand *wand);
    int (*MagickExportImagePixels)(QrposMagickWand *wand, ssize_t x, ssize_t y, size_t columns, size_t rows,
                                   const char *map, int storage, void *pixels);
    int (*MagickImportImagePixels)(QrposMagickWand *wand, ssize_t x, ssize_t y, size_t columns, size_t rows,
                                   const char *map, int storage, const void *pixels);
    int (*MagickNewImage)(QrposMagickWand *wand, size_t columns, size_t rows, const QrposPixelWand *background);
    int (*MagickSetImageDepth)(QrposMagickWand *wand, size_t depth);
    int (*MagickWriteImages)(QrposMagickWand *wand, const char *path, int adjoin);
    char *_Nullable (*_Nonnull MagickGetException)(const QrposMagickWand *wand, int *severity);
    void *_Nullable (*_Nonnull MagickRelinquishMemory)(void *_Nullable memory);
    QrposPixelWand *_Nullable (*_Nonnull NewPixelWand)(void);
    QrposPixelWand *_Nullable (*_Nonnull DestroyPixelWand)(QrposPixelWand *wand);
    int (*PixelSetColor)(QrposPixelWand *wand, const char *color);
} QrposMagick;

/* The library, loaded and set up (MagickWandGenesis, then width and height limits of `maximum_side` pixels) once
 * per process; NULL when it cannot be loaded, with the reason in `error` (dlerror's text). Thread-safe. */
const QrposMagick *_Nullable qrpos_magick(unsigned long long maximum_side, char *_Nullable error, size_t capacity);

#pragma clang assume_nonnull end
