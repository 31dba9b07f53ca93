// results_header.h — the header both results files share (`connstate run --json` and `check-trace --json`:
// profile, tool and suite versions, date), read once for both readers. Private to connstate::findings.
#pragma once

#include <boost/json/object.hpp>

#include "connstate/findings/findings.h"

namespace connstate::findings::internal {

// Reads root["header"] into `run` and returns it; throws harness::FieldError when it is missing.
const boost::json::object& read_run_header(const boost::json::object& root, StackRun& run);

}  // namespace connstate::findings::internal
