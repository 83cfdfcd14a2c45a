#include "magick_wand.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The package's soname: ImageMagick 6 at 16-bit quantum, as Debian 12 ships it (libmagickwand-6.q16-6). */
static const char *const library = "libMagickWand-6.Q16.so.6";

static QrposMagick table;
static char failure[512];
static int tried, loaded;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

#define FIND(name)                                                                          \
    do {                                                                                    \
        *(void **)&table.name = dlsym(handle, #name);                                       \
        if (!table.name) {                                                                  \
            snprintf(failure, sizeof failure, "%s has no %s (not ImageMagick 6?)", library, #name); \
            return;                                                                         \
        }                                                                                   \
    } while (0)

static void load(unsigned long long limit) {
    /* RTLD_LOCAL: ImageMagick's own dependencies (libxml2, fftw, lcms2, …) stay out of the global namespace. */
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *reason = dlerror();
        snprintf(failure, sizeof failure, "%s", reason ? reason : "dlopen failed");
        return;
    }
    FIND(MagickWandGenesis);
    FIND(MagickSetResourceLimit);
    FIND(NewMagickWand);
    FIND(DestroyMagickWand);
    FIND(ClearMagickWand);
    FIND(MagickPingImage);
    FIND(MagickReadImage);
    FIND(MagickResetIterator);
    FIND(MagickNextImage);
    FIND(MagickGetImageWidth);
    FIND(MagickGetImageHeight);
    FIND(MagickExportImagePixels);
    FIND(MagickImportImagePixels);
    FIND(MagickNewImage);
    FIND(MagickSetImageDepth);
    FIND(MagickWriteImages);
    FIND(MagickGetException);
    FIND(MagickRelinquishMemory);
    FIND(NewPixelWand);
    FIND(DestroyPixelWand);
    FIND(PixelSetColor);
    table.MagickWandGenesis();
    table.MagickSetResourceLimit(QRPOS_MAGICK_WIDTH_RESOURCE, limit);
    table.MagickSetResourceLimit(QRPOS_MAGICK_HEIGHT_RESOURCE, limit);
    loaded = 1;
}

const QrposMagick *_Nullable qrpos_magick(unsigned long long maximum_side, char *_Nullable error, size_t capacity) {
    pthread_mutex_lock(&lock);
    if (!tried) {
        tried = 1;
        load(maximum_side);
    }
    pthread_mutex_unlock(&lock);
    if (loaded) return &table;
    if (error && capacity) snprintf(error, capacity, "%s", failure);
    return NULL;
}
