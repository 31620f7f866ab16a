// Corruption sweep: every generated fixture, truncated at many offsets and with single bytes flipped (fixed seed),
// is opened in-process. Each outcome must be a document whose every accessor is safe to use, or an error with a
// message; a crash (segfault, SIGBUS from reading past a truncated mapping, sanitizer report) ends the test process,
// which is the failure signal. A watchdog aborts on a hang and names the case; slow cases are reported.
#include <QTest>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "core/format/loader.h"
#include "fuzz/fuzzinput.h"
#include "support/fixturetruth.h"

using namespace ckpt;

Q_DECLARE_METATYPE(std::string)

namespace
{

constexpr int kFlipsPerFixture = 150;
constexpr int kHangSeconds = 20; // far beyond any sane load; only a loop that never ends gets here
constexpr qint64 kSlowMs = 1000; // the goal per case; reported, not failed (shared machines are noisy)

// Aborts the process with the case's name when one load runs longer than kHangSeconds.
class Watchdog
{
public:
    Watchdog() : m_thread([this] { run(); }) {}
    ~Watchdog()
    {
        m_stop = true;
        m_thread.join();
    }
    void begin(const std::string& what)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_what = what;
        m_started = std::chrono::steady_clock::now();
        m_active = true;
    }
    void end() { m_active = false; }

private:
    void run()
    {
        while (!m_stop) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_active && std::chrono::steady_clock::now() - m_started > std::chrono::seconds(kHangSeconds)) {
                std::fprintf(stderr, "HANG: %s ran longer than %d s\n", m_what.c_str(), kHangSeconds);
                std::abort();
            }
        }
    }

    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_active{false};
    std::mutex m_mutex;
    std::string m_what;
    std::chrono::steady_clock::time_point m_started;
    std::thread m_thread;
};

std::string readAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Offsets worth cutting at: every byte of the first 64, evenly spread cuts, and the last 64 bytes (where a zip's
// central directory and a legacy stream's storages end). Descending, so one file can be shrunk step by step.
std::vector<uint64_t> truncationPoints(uint64_t size, std::mt19937_64& random)
{
    std::set<uint64_t, std::greater<uint64_t>> points;
    for (uint64_t i = 0; i < 64 && i < size; ++i)
        points.insert(i);
    for (uint64_t i = 1; i < 48; ++i)
        points.insert(size * i / 48);
    for (uint64_t i = 1; i <= 64 && i <= size; ++i)
        points.insert(size - i);
    for (int i = 0; i < 16 && size > 0; ++i)
        points.insert(random() % size);
    points.erase(size);
    return {points.begin(), points.end()};
}

// Flip positions: mostly where the structure lives (the first 256 KiB: headers, pickles; the last 64 KiB: zip
// directories), a few anywhere.
uint64_t flipPosition(uint64_t size, std::mt19937_64& random)
{
    const uint64_t head = std::min<uint64_t>(size, 256 * 1024), tail = std::min<uint64_t>(size, 64 * 1024);
    switch (random() % 4) {
    case 0:
    case 1:
        return random() % head;
    case 2:
        return size - 1 - random() % tail;
    default:
        return random() % size;
    }
}

} // namespace

class TestCorruption : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void sweep_data();
    void sweep();

private:
    void open(const std::string& path, const std::string& what);

    Watchdog m_watchdog;
    qint64 m_slowest = 0;
    std::string m_slowestCase;
    int m_cases = 0, m_documents = 0, m_errors = 0, m_slow = 0;
};

void TestCorruption::initTestCase()
{
    QVERIFY2(!test::fixtures().empty(), "no fixtures: run the generate_fixtures test first");
}

void TestCorruption::cleanupTestCase()
{
    qInfo("%d corrupted inputs: %d opened as documents, %d refused with an error; %d over %lld ms; slowest %lld ms "
          "(%s)",
          m_cases, m_documents, m_errors, m_slow, kSlowMs, m_slowest, m_slowestCase.c_str());
}

void TestCorruption::open(const std::string& path, const std::string& what)
{
    QElapsedTimer timer;
    timer.start();
    m_watchdog.begin(what);
    auto loaded = loadCheckpoint(path);
    if (loaded) {
        volatile uint64_t sink = fuzz::exercise(*loaded.value());
        (void)sink;
        ++m_documents;
    } else {
        ++m_errors;
        if (loaded.error().detail.empty()) QFAIL(("error without a message: " + what).c_str());
    }
    m_watchdog.end();
    ++m_cases;
    const qint64 ms = timer.elapsed();
    if (ms > kSlowMs) {
        ++m_slow;
        qWarning("slow: %s took %lld ms", what.c_str(), ms);
    }
    if (ms > m_slowest) {
        m_slowest = ms;
        m_slowestCase = what;
    }
}

void TestCorruption::sweep_data()
{
    QTest::addColumn<std::string>("name");
    for (const test::FixtureEntry& entry : test::fixtures())
        QTest::newRow(entry.name.c_str()) << entry.name;
}

void TestCorruption::sweep()
{
    QFETCH(std::string, name);
    test::FixtureEntry fixture;
    for (const test::FixtureEntry& entry : test::fixtures())
        if (entry.name == name) fixture = entry;
    const std::string original = readAll(fixture.file);
    QVERIFY(!original.empty() || fixture.hasTag("broken"));
    std::mt19937_64 random(0xC0FFEE ^ std::hash<std::string>()(name));

    // A sharded index resolves its shards next to itself: it is corrupted as a real file among links to the
    // fixtures. Everything else lives in a memory file that is shrunk and patched in place (fixtures reach 140 MB).
    const bool sharded = fixture.format == "sharded";
    QTemporaryDir folder;
    fuzz::MemoryFile memory;
    std::string path = memory.path();
    if (sharded) {
        QVERIFY(folder.isValid());
        const QDir fixtures(QString::fromStdString(test::fixtureDir()));
        for (const QString& f : fixtures.entryList(QDir::Files))
            QFile::link(fixtures.filePath(f), QDir(folder.path()).filePath(f));
        path = QDir(folder.path()).filePath("corrupted.index.json").toStdString();
    }
    auto store = [&](const std::string& bytes) {
        if (!sharded) {
            memory.write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
            return;
        }
        QFile file(QString::fromStdString(path));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            file.write(bytes.data(), bytes.size()) != qint64(bytes.size()))
            QFAIL("cannot write the corrupted index");
    };

    // Truncations, longest first.
    store(original);
    for (uint64_t cut : truncationPoints(original.size(), random)) {
        if (sharded)
            store(original.substr(0, cut));
        else
            memory.truncate(cut);
        open(path, name + " truncated at " + std::to_string(cut));
    }
    // Single-byte flips, each undone before the next.
    if (original.empty()) return;
    store(original);
    for (int i = 0; i < kFlipsPerFixture; ++i) {
        const uint64_t at = flipPosition(original.size(), random);
        const uint8_t mask = static_cast<uint8_t>(1u << (random() % 8)) | static_cast<uint8_t>(random() % 2 ? 0x80 : 0);
        const uint8_t flipped = static_cast<uint8_t>(original[at]) ^ mask;
        if (sharded) {
            std::string bytes = original;
            bytes[at] = static_cast<char>(flipped);
            store(bytes);
        } else {
            memory.patch(at, flipped);
        }
        open(path, name + " byte " + std::to_string(at) + " ^ " + std::to_string(mask));
        if (!sharded) memory.patch(at, static_cast<uint8_t>(original[at]));
    }
}

QTEST_GUILESS_MAIN(TestCorruption)
#include "tst_corruption.moc"
