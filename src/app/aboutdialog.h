#pragma once

#include <memory>

#include <QDialog>

namespace Ui
{
class AboutDialog;
}

namespace ckpt::app
{

// Versions of everything the application is built from (Qt, LibTorch, the catalog) and the CUDA devices found.
class AboutDialog : public QDialog
{
    Q_OBJECT
public:
    explicit AboutDialog(QWidget* parent = nullptr);
    ~AboutDialog() override;

    // The same facts as plain text lines (also used by --version, where LibTorch is not loaded).
    static QString versionText(bool loadTensorModule);

private:
    std::unique_ptr<Ui::AboutDialog> m_ui;
};

} // namespace ckpt::app
