// An Ingress report as the admin API's message: the one place the translation's plain types meet
// it (the admin service, and gatehousectl migrate-check, which translates offline).
#pragma once

#include "controlplane/translate/report.h"
#include "gatehouse/v1/admin.pb.h"

namespace gatehouse::controlplane::translate {

gatehouse::v1::IngressReport ReportToProto(const IngressReport& report);

}  // namespace gatehouse::controlplane::translate
