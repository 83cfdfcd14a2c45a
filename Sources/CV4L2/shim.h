#pragma once
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

/* v4l2_open and v4l2_ioctl are variadic and the VIDIOC_* numbers are function-like macros:
   Swift can call none of them directly. */
static inline int qrpos_v4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
static inline int qrpos_v4l2_ioctl(int fd, unsigned long request, void *arg) { return v4l2_ioctl(fd, request, arg); }

static inline unsigned long qrpos_vidioc_querycap(void) { return VIDIOC_QUERYCAP; }
static inline unsigned long qrpos_vidioc_enum_fmt(void) { return VIDIOC_ENUM_FMT; }
static inline unsigned long qrpos_vidioc_s_fmt(void) { return VIDIOC_S_FMT; }
static inline unsigned long qrpos_vidioc_g_fmt(void) { return VIDIOC_G_FMT; }
static inline unsigned long qrpos_vidioc_reqbufs(void) { return VIDIOC_REQBUFS; }
static inline unsigned long qrpos_vidioc_querybuf(void) { return VIDIOC_QUERYBUF; }
static inline unsigned long qrpos_vidioc_qbuf(void) { return VIDIOC_QBUF; }
static inline unsigned long qrpos_vidioc_dqbuf(void) { return VIDIOC_DQBUF; }
static inline unsigned long qrpos_vidioc_streamon(void) { return VIDIOC_STREAMON; }
static inline unsigned long qrpos_vidioc_streamoff(void) { return VIDIOC_STREAMOFF; }
