#pragma once
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/fb.h>
#include <linux/input.h>
#include <sys/timex.h>

/* ioctl is variadic and its request numbers are macros: Swift can call neither directly. */
static inline int qrpos_ioctl(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }
static inline unsigned long qrpos_fbioget_vscreeninfo(void) { return FBIOGET_VSCREENINFO; }
static inline unsigned long qrpos_fbioget_fscreeninfo(void) { return FBIOGET_FSCREENINFO; }
static inline unsigned long qrpos_tiocgwinsz(void) { return TIOCGWINSZ; }
