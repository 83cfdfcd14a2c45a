#pragma once
#include <stdint.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

/* The DRM ioctl numbers and fourcc codes are function-like macros Swift cannot import. */
static inline unsigned long qrpos_drm_ioctl_create_dumb(void) { return DRM_IOCTL_MODE_CREATE_DUMB; }
static inline unsigned long qrpos_drm_ioctl_map_dumb(void) { return DRM_IOCTL_MODE_MAP_DUMB; }
static inline unsigned long qrpos_drm_ioctl_destroy_dumb(void) { return DRM_IOCTL_MODE_DESTROY_DUMB; }
static inline uint32_t qrpos_drm_format_xrgb8888(void) { return DRM_FORMAT_XRGB8888; }

