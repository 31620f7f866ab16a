#include "app/aboutdialog.h"
#include "ui_aboutdialog.h"

#include <QPushButton>
#include <QtGlobal>

#include "core/analysis/architecturecatalog.h"
#include "core/version.h"
#ifdef CKPT_HAVE_TENSOR_LOADER
#include "tensor/tensorloader.h"
#endif

namespace ckpt::app
{

QString AboutDialog::versionText(bool loadTensorModule)
{
    QStringList lines;
    lines << QStringLiteral("Checkpoint Inspector %1").arg(QLatin1String(projectVersion()));
    lines << QStringLiteral("Licence: GPL-3.0-or-later");
    lines << QStringLiteral("Qt: %1 (built with %2)").arg(QLatin1String(qVersion()), QLatin1String(QT_VERSION_STR));
#ifdef CKPT_HAVE_TENSOR_LOADER
    if (loadTensorModule) {
        std::string why;
        if (tensor::tensorModuleAvailable(&why))
            lines << QStringLiteral("LibTorch: %1").arg(QString::fromStdString(tensor::tensorModuleVersion()));
        else
            lines << QStringLiteral("LibTorch: unavailable (%1)").arg(QString::fromStdString(why));
        std::string cudaWhy;
        const auto devices = tensor::cudaDevices(&cudaWhy);
        if (devices.empty())
            lines << QStringLiteral("CUDA devices: none (%1)").arg(QString::fromStdString(cudaWhy));
        else
            for (const tensor::CudaDevice& d : devices)
                lines << QStringLiteral("CUDA device cuda:%1: %2, %3 GiB, sm_%4%5")
                             .arg(d.index)
                             .arg(QString::fromStdString(d.name))
                             .arg(double(d.totalMemory) / double(1ull << 30), 0, 'f', 1)
                             .arg(d.major)
                             .arg(d.minor);
    } else {
        // Loading LibTorch costs ~0.7 s and ~300 libraries; --version should not pay that.
        lines << QStringLiteral("LibTorch: loaded on demand (see Help > About)");
    }
#else
    (void)loadTensorModule;
    lines << QStringLiteral("LibTorch: not built (no tensor statistics)");
#endif
    lines << QStringLiteral("Architecture catalog: %1").arg(QString::fromStdString(catalogVersion()));
    return lines.join(QLatin1Char('\n'));
}

AboutDialog::AboutDialog(QWidget* parent) : QDialog(parent), m_ui(std::make_unique<Ui::AboutDialog>())
{
    m_ui->setupUi(this);
    m_ui->titleLabel->setText(
        tr("<h2>Checkpoint Inspector</h2><p>Inspect, compare and repair PyTorch checkpoints without running "
           "anything inside them.</p>"
           "<p>Free software under the GNU General Public License, version 3 or (at your option) any later "
           "version (GPL-3.0-or-later). It comes with no warranty. See the LICENSE file that ships with it.</p>"));
    m_ui->titleLabel->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_ui->versionsLabel->setText(versionText(true).toHtmlEscaped().replace(QLatin1Char('\n'), QLatin1String("<br>")));
    connect(m_ui->buttonBox, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

AboutDialog::~AboutDialog() = default;

} // namespace ckpt::app
