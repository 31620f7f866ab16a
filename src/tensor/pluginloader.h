#pragma once

#include <string>

namespace ckpt::tensor
{

// Where a plugin was found and what it exports, or why it was not.
struct PluginHandle {
    void* entry = nullptr; // the resolved entry point; null when loading failed
    std::string path;      // the file that was loaded
    std::string error;     // why nothing was loaded (every place tried)
};

// dlopen()s a plugin on demand. Search order: the environment variable `envVar` (alone, when set), the
// executable's folder, <exe>/../<libdir>/checkpoint-inspector, the build tree, the installed libdir.
PluginHandle loadPlugin(const std::string& fileName, const char* envVar, const std::string& buildPath,
                        const char* entryName);

} // namespace ckpt::tensor
