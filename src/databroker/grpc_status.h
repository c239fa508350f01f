#pragma once
// Conversions between our Status and gRPC's (the codes share their numbers).

#include <grpcpp/support/status.h>

#include "databroker/status.h"

namespace portcullis::databroker {

grpc::Status to_grpc(const Status& status);
// gRPC codes that have no counterpart here become INTERNAL.
Status from_grpc(const grpc::Status& status);

}  // namespace portcullis::databroker
