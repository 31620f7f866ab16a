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

private:
    bool save(QWidget* widget, const QString& name);

    MainWindow* m_window;
    QString m_dir;
};

} // namespace ckpt::app
