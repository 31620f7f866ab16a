#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <string>

#include <nlohmann/json.hpp>

// Shared by the hardening tests: the committed hostile corpus and limit inputs (tests/hostile), and running the
// CLI as a child under a memory and a time cap.
namespace ckpt::test
{

std::string hostileDir();                                  // <source>/tests/hostile
nlohmann::json hostileManifest(const std::string& folder); // folder: "corpus" or "limits"

// Where hostile payloads would leave traces if they ran: shell payloads write into env/ (exported as
// $CKPT_SENTINEL_DIR), literal-path payloads into cwd/, which holds the manifest's victim folders (a payload
// that deletes one shows as a missing folder). out/ is for the files a test writes.
class PayloadSandbox
{
public:
    // Makes the folders; false, with the reason in `why`, when it cannot.
    bool create(const nlohmann::json& manifest, QString* why);
    // `sub` under the sandbox: "env", "cwd", "out" or a path below them.
    QString path(const QString& sub) const;
    // For in-process tests: cwd/ becomes the current directory and $CKPT_SENTINEL_DIR points at env/ (children
    // inherit both). leave() restores the previous directory.
    bool enter();
    void leave();
    // Empty when nothing ran: env/ is empty and cwd/ holds exactly the victim folders; otherwise what was found.
    QString traces() const;

private:
    QTemporaryDir m_dir;
    QStringList m_victims;
    QString m_previousDir;
};

// True when this binary was built with AddressSanitizer, which needs terabytes of address space for its shadow
// memory, so `ulimit -v` cannot be applied to sanitized children.
bool builtWithAddressSanitizer();

struct ChildResult {
    int exitCode = -1;
    bool crashed = false;  // killed by a signal (segfault, abort, the memory cap's SIGKILL)
    bool timedOut = false; // still running at the time cap; it was killed
    qint64 elapsedMs = 0;
    QByteArray out;      // the first MiB of stdout (all of it goes to a temporary file, so a runaway
    qint64 outBytes = 0; // writer cannot exhaust the test's memory); outBytes counts everything
    QByteArray err;
};

// Runs `program args` through /bin/sh with `ulimit -v memoryMiB` (skipped when 0 or under ASan) and kills it after
// timeoutMs. `workDir` and extra environment entries ("NAME=value") are optional.
ChildResult runCapped(const QString& program, const QStringList& args, int memoryMiB, int timeoutMs,
                      const QString& workDir = {}, const QStringList& env = {});

} // namespace ckpt::test
