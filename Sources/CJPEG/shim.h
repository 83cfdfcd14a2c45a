#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <jpeglib.h>

/* libjpeg reports errors by calling error_exit, which must not return: it jumps back here, and
   Swift (which cannot setjmp) calls this one function instead of the library. */
struct qrpos_jpeg_error {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static inline void qrpos_jpeg_error_exit(j_common_ptr info) {
    struct qrpos_jpeg_error *error = (struct qrpos_jpeg_error *)info->err;
    (*info->err->format_message)(info, error->message);
    longjmp(error->jump, 1);
}

/* Decodes a JPEG file into 8-bit RGB rows (malloc'd; the caller frees it), or NULL with a message. */
static inline unsigned char *qrpos_jpeg_read_rgb(const char *path, int *width, int *height, long max_pixels, int *too_large, char *message, size_t size) {
    FILE *file = fopen(path, "rb");
    if (!file) { snprintf(message, size, "cannot open"); return NULL; }
    struct jpeg_decompress_struct info;
    struct qrpos_jpeg_error error;
    unsigned char *volatile pixels = NULL;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = qrpos_jpeg_error_exit;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        fclose(file);
        free(pixels);
        snprintf(message, size, "not a readable JPEG (%s)", error.message);
        return NULL;
    }
    jpeg_create_decompress(&info);
    jpeg_stdio_src(&info, file);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_RGB;
    if ((long)info.image_width * (long)info.image_height > max_pixels) {
        snprintf(message, size, "too large: %ux%u pixels", info.image_width, info.image_height);
        *too_large = 1;
        jpeg_destroy_decompress(&info);
        fclose(file);
        return NULL;
    }
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * 3;
    pixels = malloc(stride * info.output_height);
    if (!pixels) { snprintf(message, size, "out of memory"); jpeg_destroy_decompress(&info); fclose(file); return NULL; }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + stride * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    fclose(file);
    return pixels;
}

/* Encodes 8-bit greyscale rows as a baseline JPEG file at `quality` (1-100); 0 on success, else -1 with a message. */
static inline int qrpos_jpeg_write_gray(const char *path, const unsigned char *pixels, int width, int height, int quality, char *message, size_t size) {
    FILE *file = fopen(path, "wb");
    if (!file) { snprintf(message, size, "cannot create"); return -1; }
    struct jpeg_compress_struct info;
    struct qrpos_jpeg_error error;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = qrpos_jpeg_error_exit;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        fclose(file);
        snprintf(message, size, "cannot write JPEG (%s)", error.message);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_stdio_dest(&info, file);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = 1;
    info.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)width * info.next_scanline);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    fclose(file);
    return 0;
}
