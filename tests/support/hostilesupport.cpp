#include "support/hostilesupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryFile>

#include <fstream>

namespace ckpt::test
{

std::string hostileDir()
{
    return std::string(CKPT_SOURCE_DIR) + "/tests/hostile";
}

nlohmann::json hostileManifest(const std::string& folder)
{
    std::ifstream in(hostileDir() + "/" + folder + "/manifest.json");
    if (!in) return nlohmann::json::object();
    return nlohmann::json::parse(in, nullptr, false);
}

bool PayloadSandbox::create(const nlohmann::json& manifest, QString* why)
{
    if (!m_dir.isValid()) {
        *why = QStringLiteral("cannot create a temporary directory");
        return false;
    }
    QDir root(m_dir.path());
    for (const char* sub : {"env", "cwd", "out"})
        if (!root.mkpath(QString::fromLatin1(sub))) {
            *why = QStringLiteral("cannot create ") + root.filePath(QString::fromLatin1(sub));
            return false;
        }
    if (manifest.contains("hostile"))
        for (const nlohmann::json& entry : manifest["hostile"])
            if (entry["victim"].is_string()) {
                const QString victim = QString::fromStdString(entry["victim"].get<std::string>());
                if (!QDir(path(QStringLiteral("cwd"))).mkpath(victim)) {
                    *why = QStringLiteral("cannot create the victim folder ") + victim;
                    return false;
                }
                m_victims << victim;
            }
    m_victims.sort();
    return true;
}

QString PayloadSandbox::path(const QString& sub) const
{
    return QDir(m_dir.path()).filePath(sub);
}

bool PayloadSandbox::enter()
{
    qputenv("CKPT_SENTINEL_DIR", path(QStringLiteral("env")).toLocal8Bit());
    m_previousDir = QDir::currentPath();
    return QDir::setCurrent(path(QStringLiteral("cwd")));
}

void PayloadSandbox::leave()
{
    if (!m_previousDir.isEmpty()) QDir::setCurrent(m_previousDir);
    qunsetenv("CKPT_SENTINEL_DIR");
}

QString PayloadSandbox::traces() const
{
    const QStringList created = QDir(path(QStringLiteral("env"))).entryList(QDir::NoDotAndDotDot | QDir::AllEntries);
    if (!created.isEmpty()) return QStringLiteral("payloads ran: ") + created.join(QStringLiteral(", "));
    QStringList present = QDir(path(QStringLiteral("cwd"))).entryList(QDir::NoDotAndDotDot | QDir::AllEntries);
    present.sort();
    if (present != m_victims)
        return QStringLiteral("cwd/ holds [") + present.join(QStringLiteral(", ")) + QStringLiteral("], expected [") +
               m_victims.join(QStringLiteral(", ")) + QStringLiteral("]");
    return {};
}

bool builtWithAddressSanitizer()
{
#if defined(__SANITIZE_ADDRESS__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

ChildResult runCapped(const QString& program, const QStringList& args, int memoryMiB, int timeoutMs,
                      const QString& workDir, const QStringList& env)
{
    // `exec` keeps the pid, so killing the shell's pid kills the program itself.
    QString script = QStringLiteral("exec \"$0\" \"$@\"");
    if (memoryMiB > 0 && !builtWithAddressSanitizer())
        script.prepend(QStringLiteral("ulimit -v %1 || exit 125; ").arg(qint64(memoryMiB) * 1024));
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const QString& entry : env)
        environment.insert(entry.section('=', 0, 0), entry.section('=', 1));
    process.setProcessEnvironment(environment);
    QTemporaryFile output;
    if (output.open()) process.setStandardOutputFile(output.fileName());
    if (!workDir.isEmpty()) process.setWorkingDirectory(workDir);
    QElapsedTimer timer;
    timer.start();
    process.start(QStringLiteral("/bin/sh"), QStringList{QStringLiteral("-c"), script, program} + args);
    ChildResult result;
    if (!process.waitForStarted(10000)) {
        result.err = "could not start /bin/sh";
        return result;
    }
    if (!process.waitForFinished(timeoutMs)) {
        result.timedOut = true;
        process.kill();
        process.waitForFinished(5000);
    }
    result.elapsedMs = timer.elapsed();
    result.crashed = !result.timedOut && process.exitStatus() == QProcess::CrashExit;
    result.exitCode = process.exitCode();
    output.seek(0);
    result.outBytes = output.size();
    result.out = output.read(1 << 20);
    result.err = process.readAllStandardError();
    return result;
}

} // namespace ckpt::test
