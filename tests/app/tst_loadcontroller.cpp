#include <QSignalSpy>
#include <QTest>
#include <QThreadPool>

#include "app/loadcontroller.h"
#include "support/guifixtures.h"

using namespace ckpt;
using namespace ckpt::app;

// The background load façade: progress and loaded signals, cancel, stale results, errors as values.
class TestLoadController : public QObject
{
    Q_OBJECT
private slots:
    void loadsWithProgress();
    void staleResultIsDropped();
    void finishedButUndeliveredResultIsDropped();
    void cancelAfterTheWorkerFinishedDropsTheResult();
    void cancelDropsTheResult();
    void corruptFileFails_data();
    void corruptFileFails();
    void retryLoadsAgain();
};

void TestLoadController::loadsWithProgress()
{
    LoadController c;
    QSignalSpy started(&c, &LoadController::started);
    QSignalSpy progress(&c, &LoadController::progress);
    QSignalSpy loaded(&c, &LoadController::loaded);
    QSignalSpy failed(&c, &LoadController::failed);
    const QString path = testing::guiFixture(QStringLiteral("train_adam.pth"));
    const quint64 gen = c.open(path);
    QCOMPARE(started.count(), 1);
    QVERIFY(c.isLoading());
    QVERIFY(loaded.wait(30000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(c.generation(), gen);
    QVERIFY(!c.isLoading());
    // At least the final tick arrives, and it says all bytes are parsed.
    QVERIFY(progress.count() >= 1);
    const QList<QVariant> last = progress.last();
    QVERIFY(last.at(1).toLongLong() > 0);
    QCOMPARE(last.at(0).toLongLong(), last.at(1).toLongLong());
    const auto result = loaded.first().first().value<LoadedDocument>();
    QCOMPARE(result.path, path);
    QVERIFY(result.doc);
    QVERIFY(result.tree);
    QCOMPARE(result.doc->kind, Kind::TrainingCheckpoint);
}

void TestLoadController::staleResultIsDropped()
{
    LoadController c;
    QSignalSpy loaded(&c, &LoadController::loaded);
    QSignalSpy cancelled(&c, &LoadController::cancelled);
    const QString first = testing::guiFixture(QStringLiteral("resnet18_whole.pth"));
    const QString second = testing::guiFixture(QStringLiteral("small_before.pth"));
    c.open(first);
    c.open(second);
    QVERIFY(loaded.wait(30000));
    // Give the first job every chance to finish and (wrongly) deliver.
    QTest::qWait(1500);
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(loaded.first().first().value<LoadedDocument>().path, second);
}

// The race the generation number exists for: the first job has finished its work (its result is ok, its cancel flag
// came too late) but its "finished" event is still queued when the second open() starts. QThreadPool::waitForDone()
// finishes the worker without running the event loop, so the stale result is certainly pending, never cancelled.
void TestLoadController::finishedButUndeliveredResultIsDropped()
{
    LoadController c;
    QSignalSpy loaded(&c, &LoadController::loaded);
    QSignalSpy cancelled(&c, &LoadController::cancelled);
    QSignalSpy failed(&c, &LoadController::failed);
    QSignalSpy progress(&c, &LoadController::progress);
    const QString first = testing::guiFixture(QStringLiteral("train_adam.pth"));
    const QString second = testing::guiFixture(QStringLiteral("small_before.pth"));
    c.open(first);
    QVERIFY(QThreadPool::globalInstance()->waitForDone(30000));
    const quint64 latest = c.open(second);
    QVERIFY(loaded.wait(30000));
    QTest::qWait(200); // anything else still queued arrives now
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(loaded.first().first().value<LoadedDocument>().path, second);
    QCOMPARE(cancelled.count(), 0);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(c.generation(), latest);
    QVERIFY(!c.isLoading());
    // The first job's queued progress ticks are stale too: every tick shown counts the second file's bytes.
    QVERIFY(progress.count() >= 1);
    const qint64 secondTotal = progress.last().at(1).toLongLong();
    for (const QList<QVariant>& tick : std::as_const(progress))
        QCOMPARE(tick.at(1).toLongLong(), secondTotal);
}

// cancel() forgets a job whose worker is already done: its pending ok result must not reach the window.
void TestLoadController::cancelAfterTheWorkerFinishedDropsTheResult()
{
    LoadController c;
    QSignalSpy loaded(&c, &LoadController::loaded);
    QSignalSpy cancelled(&c, &LoadController::cancelled);
    const QString path = testing::guiFixture(QStringLiteral("small_before.pth"));
    c.open(path);
    QVERIFY(QThreadPool::globalInstance()->waitForDone(30000));
    c.cancel();
    QTest::qWait(300);
    QCOMPARE(loaded.count(), 0);
    QCOMPARE(cancelled.count(), 1);
    QVERIFY(!c.isLoading());
}

void TestLoadController::cancelDropsTheResult()
{
    LoadController c;
    QSignalSpy loaded(&c, &LoadController::loaded);
    QSignalSpy cancelled(&c, &LoadController::cancelled);
    QSignalSpy failed(&c, &LoadController::failed);
    const QString path = testing::guiFixture(QStringLiteral("resnet18_legacy_whole.pth"));
    c.open(path);
    c.cancel();
    QCOMPARE(cancelled.count(), 1);
    QCOMPARE(cancelled.first().first().toString(), path);
    QVERIFY(!c.isLoading());
    QTest::qWait(2000);
    QCOMPARE(loaded.count(), 0);
    QCOMPARE(failed.count(), 0);
    // The controller is usable afterwards.
    c.open(testing::guiFixture(QStringLiteral("small_before.pth")));
    QVERIFY(loaded.wait(30000));
}

void TestLoadController::corruptFileFails_data()
{
    QTest::addColumn<QString>("file");
    for (const char* f : {"broken_zip_garbage.pth", "broken_empty.pth", "broken_zip_50pct.pth", "broken_random.pth",
                          "does_not_exist.pth"})
        QTest::newRow(f) << QString::fromLatin1(f);
}

void TestLoadController::corruptFileFails()
{
    QFETCH(QString, file);
    LoadController c;
    QSignalSpy loaded(&c, &LoadController::loaded);
    QSignalSpy failed(&c, &LoadController::failed);
    const QString path = testing::guiFixture(file);
    c.open(path);
    QVERIFY(failed.wait(30000));
    QCOMPARE(loaded.count(), 0);
    QCOMPARE(failed.first().at(0).toString(), path);
    QVERIFY(!failed.first().at(1).toString().isEmpty());
}

void TestLoadController::retryLoadsAgain()
{
    LoadController c;
    QSignalSpy loaded(&c, &LoadController::loaded);
    c.open(testing::guiFixture(QStringLiteral("small_before.pth")));
    QVERIFY(loaded.wait(30000));
    const quint64 gen = c.retry();
    QVERIFY(gen > 1);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(loaded.count(), 2);
}

QTEST_MAIN(TestLoadController)
#include "tst_loadcontroller.moc"
