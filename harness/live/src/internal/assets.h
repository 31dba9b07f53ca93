// assets.h — the web files the live server serves, compiled in from harness/live/web/ (generated
// by connstate_embed_text at build time, so the binary needs no data directory).
#pragma once

#include <string_view>

namespace connstate::live::assets {

extern const std::string_view probe_js;   // web/probe.js; "/*CONNSTATE_CONFIG*/null" is replaced per request
extern const std::string_view live_html;  // web/live.html; "/*CONNSTATE_CONFIG*/null" likewise

}  // namespace connstate::live::assets
