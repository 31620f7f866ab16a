#pragma once

#include <QObject>
#include <QString>

class QWidget;

namespace ckpt::app
{

class MainWindow;

// Drives the application through its main screens on the embedded sample and saves each as a PNG
// (main window with mismatches, repair preview, export dialog, diff window, histogram) for docs/screenshots.
class ScreenshotTour : public QObject
{
    Q_OBJECT
public:
    ScreenshotTour(MainWindow* window, const QString& dir, QObject* parent = nullptr);
    bool run();
    // A DCP or DeepSpeed folder to show as well (distributed-view.png, consolidate-dialog.png); none by default,
    // as the embedded sample is a single file.
    void setDistributedFolder(const QString& folder) { m_folder = folder; }

private:
    bool save(QWidget* widget, const QString& name);
    bool runDistributed();

    MainWindow* m_window;
    QString m_dir;
    QString m_folder;
};

} // namespace ckpt::app
