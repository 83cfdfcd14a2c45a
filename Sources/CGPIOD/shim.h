#pragma once
/* libgpiod v1 (Debian 12 ships 1.6.3). Only Devices/GPIOLights.swift may call it: v2 is a different API. */
#include <gpiod.h>
