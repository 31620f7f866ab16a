#include "support/matchdiffsupport.h"

#include <QFile>

#include <fstream>

// Test targets outside core/ and cli/ compile this file too and may not define every path.
#ifndef CKPT_FIXTURE_DIR
#define CKPT_FIXTURE_DIR ""
#endif
#ifndef CKPT_PYTHON
#define CKPT_PYTHON "/usr/bin/python3"
#endif
#ifndef CKPT_EXE
#define CKPT_EXE ""
#endif

namespace matchdiff
{

namespace
{

nlohmann::json readJson(const QString& path)
{
    std::ifstream in(path.toStdString());
    if (!in) return nullptr;
    return nlohmann::json::parse(in, nullptr, false);
}

} // namespace

QString fixture(const QString& name)
{
    const QString dir = QStringLiteral(CKPT_FIXTURE_DIR);
    nlohmann::json manifest = readJson(dir + "/manifest.json");
    if (!manifest.is_object() || !manifest.contains("fixtures")) return {};
    for (const auto& f : manifest["fixtures"])
        if (f.value("name", "") == name.toStdString()) return dir + "/" + QString::fromStdString(f.value("file", ""));
    return {};
}

nlohmann::json truth(const QString& name)
{
    return readJson(QStringLiteral(CKPT_FIXTURE_DIR) + "/" + name + ".truth.json");
}

std::vector<std::string> truthKeys(const QString& name)
{
    std::vector<std::string> keys;
    nlohmann::json t = truth(name);
    if (!t.is_object() || t["weight_sets"].empty()) return keys;
    for (const auto& k : t["weight_sets"][0]["keys"])
        keys.push_back(k.get<std::string>());
    return keys;
}

ProcessResult runPython(const QString& code, int timeoutMs)
{
    return ckpt::test::runPythonBytes(code, {}, timeoutMs);
}

ProcessResult runCkpt(const QStringList& arguments, int timeoutMs)
{
    return ckpt::test::runProcessBytes(QStringLiteral(CKPT_EXE), arguments, timeoutMs);
}

} // namespace matchdiff
