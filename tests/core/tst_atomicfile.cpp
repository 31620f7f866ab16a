// AtomicFile's permissions (issue 12, item 12): an export gets the permissions of any new file (0666 less the
// umask), and finding them out must not change the process umask, which every other thread's file creation
// reads: the old code set umask(0) for a moment, so a file another thread created then got 0666.
#include <QTest>

#include <QTemporaryDir>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include <sys/stat.h>

#include "core/edit/atomicfile.h"

using namespace ckpt;

namespace
{

mode_t modeOf(const std::string& path)
{
    struct stat info {
    };
    return ::stat(path.c_str(), &info) == 0 ? (info.st_mode & 07777) : 0;
}

// The umask as the kernel reports it, read without setting it (Linux 4.7+).
int currentUmask()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("Umask:", 0) == 0) return std::stoi(line.substr(6), nullptr, 8);
    return -1;
}

} // namespace

class TestAtomicFile : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void committedFileHasTheUmaskMode_data();
    void committedFileHasTheUmaskMode();
    void umaskNeverChangesWhileFilesAreCreated();

private:
    QTemporaryDir m_dir;
    mode_t m_savedMask = 022;
};

void TestAtomicFile::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_savedMask = ::umask(022);
    ::umask(m_savedMask);
    if (currentUmask() < 0) QSKIP("/proc/self/status has no Umask line (kernel older than 4.7)");
}

void TestAtomicFile::cleanupTestCase()
{
    ::umask(m_savedMask);
}

void TestAtomicFile::committedFileHasTheUmaskMode_data()
{
    QTest::addColumn<int>("mask");
    QTest::newRow("022") << 022;
    QTest::newRow("027") << 027;
    QTest::newRow("077") << 077;
}

void TestAtomicFile::committedFileHasTheUmaskMode()
{
    QFETCH(int, mask);
    ::umask(static_cast<mode_t>(mask));
    const std::string target = m_dir.filePath(QString("out_%1.pt").arg(mask, 3, 8, QChar('0'))).toStdString();
    auto file = AtomicFile::create(target);
    QVERIFY(file.ok());
    QVERIFY(file.value()->write("abc", 3).ok());
    QVERIFY(file.value()->commit().ok());
    QCOMPARE(int(modeOf(target)), 0666 & ~mask);
    QCOMPARE(currentUmask(), mask);
    ::umask(m_savedMask);
}

void TestAtomicFile::umaskNeverChangesWhileFilesAreCreated()
{
    ::umask(022);
    std::atomic<bool> done{false};
    std::atomic<int> wrongReadings{0};
    std::atomic<long> readings{0};
    std::thread watcher([&] {
        while (!done.load()) {
            if (currentUmask() != 022) wrongReadings++;
            readings++;
        }
    });
    const std::string target = m_dir.filePath("race.pt").toStdString();
    QElapsedTimer timer;
    timer.start();
    int created = 0;
    while (timer.elapsed() < 3000 && wrongReadings.load() == 0) {
        auto file = AtomicFile::create(target); // dropped uncommitted: the temporary file is removed
        if (file.ok()) ++created;
    }
    done = true;
    watcher.join();
    ::umask(m_savedMask);
    qInfo("%d files created, %ld umask readings", created, readings.load());
    QVERIFY(created > 100);
    QCOMPARE(wrongReadings.load(), 0);
}

QTEST_GUILESS_MAIN(TestAtomicFile)
#include "tst_atomicfile.moc"
