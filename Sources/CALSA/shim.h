#pragma once
/* alsa-lib (libasound2). Only Devices/ALSASounder.swift calls it. */
#include <alsa/asoundlib.h>

/* alsa-lib prints its own errors on stderr; ALSASounder throws one error that names the device and the cause
   instead. The handler is variadic, which Swift cannot define: it lives here. */
static void qrpos_alsa_ignore_error(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

static inline void qrpos_alsa_quiet(void) {
    snd_lib_error_set_handler(qrpos_alsa_ignore_error);
}
