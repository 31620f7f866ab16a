#include "core/version.h"

#include <zlib.h>

#ifndef CKPT_VERSION
#define CKPT_VERSION "0.0.0"
#endif

namespace ckpt
{

const char* projectVersion()
{
    return CKPT_VERSION;
}

std::string versionText()
{
    std::string text = std::string("Checkpoint Inspector ") + CKPT_VERSION + "\nzlib " + zlibVersion();
#ifdef CKPT_LIBTORCH_VERSION
    // Known at build time, so printing it does not load LibTorch (the tensor module loads on demand).
    text += "\nLibTorch " CKPT_LIBTORCH_VERSION " (tensor module, loaded on demand)";
#else
    text += "\nLibTorch: tensor module not built";
#endif
    return text;
}

} // namespace ckpt
