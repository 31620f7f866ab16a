#include "core/version.h"

#include <zlib.h>

#ifndef CKPT_VERSION
#define CKPT_VERSION "0.0.0"
#endif

namespace ckpt {

const char* projectVersion() { return CKPT_VERSION; }

std::string versionText()
{
    return std::string("Checkpoint Inspector ") + CKPT_VERSION + " (zlib " + zlibVersion() + ")";
}

} // namespace ckpt
