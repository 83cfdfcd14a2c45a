#pragma once
/* libsystemd's service notification (sd_notify, sd_watchdog_enabled): only Platform/ServiceManager.swift calls it. */
#include <systemd/sd-daemon.h>
