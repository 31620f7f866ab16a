#include "tensor/pluginloader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace ckpt::tensor
{

namespace
{

std::string executableDir()
{
    std::vector<char> buffer(4096);
    const ssize_t n = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
    if (n <= 0) return {};
    std::string exe(buffer.data(), static_cast<size_t>(n));
    const size_t slash = exe.find_last_of('/');
    return slash == std::string::npos ? std::string() : exe.substr(0, slash);
}

bool exists(const std::string& path)
{
    return !path.empty() && access(path.c_str(), R_OK) == 0;
}

} // namespace

PluginHandle loadPlugin(const std::string& fileName, const char* envVar, const std::string& buildPath,
                        const char* entryName)
{
    std::vector<std::string> candidates;
    const char* forced = std::getenv(envVar);
    if (forced && *forced) {
        candidates.push_back(forced); // an explicit choice is never second-guessed by a fallback
    } else {
        const std::string exeDir = executableDir();
        if (!exeDir.empty()) {
            candidates.push_back(exeDir + "/" + fileName);
            candidates.push_back(exeDir + "/" CKPT_PLUGIN_RELATIVE_DIR "/" + fileName);
        }
        if (!buildPath.empty()) candidates.push_back(buildPath);
        candidates.push_back(std::string(CKPT_PLUGIN_INSTALL_DIR "/") + fileName);
    }
    PluginHandle result;
    for (const std::string& path : candidates) {
        if (!exists(path)) {
            result.error += (result.error.empty() ? "" : "; ") + path + ": not found";
            continue;
        }
        // RTLD_LOCAL keeps LibTorch's hundreds of symbols out of the global namespace of the host program.
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            const char* why = dlerror();
            result.error += (result.error.empty() ? "" : "; ") + std::string(why ? why : path);
            continue;
        }
        void* entry = dlsym(handle, entryName);
        if (!entry) {
            result.error += (result.error.empty() ? "" : "; ") + path + ": no " + entryName;
            dlclose(handle);
            continue;
        }
        result.entry = entry;
        result.path = path;
        result.error.clear();
        return result;
    }
    return result;
}

} // namespace ckpt::tensor
