#pragma once

#include <string>

namespace ckpt
{

// "Checkpoint Inspector 0.1.0" plus the versions of the libraries linked into the calling program.
// Programs that link Qt or LibTorch append theirs (see app/ and tensor/).
std::string versionText();
const char* projectVersion();

} // namespace ckpt
