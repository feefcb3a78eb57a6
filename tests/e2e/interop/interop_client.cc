/*
 * interop_client: a stock gRPC C++ client (Debian's libgrpc++, a different
 * HTTP/2 and gRPC stack from the Python grpcio the other tests use) run
 * against rectrackd. Each case is a small story that ends with "ok" or
 * exits 1 naming what differed:
 *
 *   health      what grpc_health_probe does: Health/Check for "" and
 *               rectrack.v1.Tracker, NOT_FOUND for others, Health/Watch.
 *   reflection  what grpc_cli / grpcurl do without .proto files: list
 *               services, fetch files by symbol and by name over
 *               grpc.reflection.v1alpha and v1, build a DescriptorPool from
 *               them (every dependency must be served), describe the
 *               services, then call Tracker/GetServerInfo with a
 *               DynamicMessage built only from the reflected schema.
 *   tracker     the generated Tracker stub: unary calls with metadata,
 *               errors with status and message, server streaming
 *               (WatchChanges, ExportReview), deadlines, cancellation,
 *               gzip- and deflate-compressed requests.
 *
 * Usage: interop_client HOST:PORT CASE
 */
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "rectrack/v1/tracker.grpc.pb.h"

namespace {

namespace pb = google::protobuf;
using grpc::Status;
using grpc::StatusCode;

const auto kPatience = std::chrono::seconds(60);

[[noreturn]] void fail(const std::string &what) {
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  std::exit(1);
}

void expect(bool condition, const std::string &what) {
  if (!condition)
    fail(what);
}

std::string describe(const Status &status) {
  return "status " + std::to_string(status.error_code()) + " \"" +
         status.error_message() + "\"";
}

void expect_ok(const Status &status, const std::string &what) {
  expect(status.ok(), what + ": " + describe(status));
}

void expect_code(const Status &status, StatusCode code,
                 const std::string &what) {
  expect(status.error_code() == code, what + ": wanted code " +
                                          std::to_string(code) + ", got " +
                                          describe(status));
}

void set_deadline(grpc::ClientContext *context,
                  std::chrono::milliseconds timeout) {
  context->set_deadline(std::chrono::system_clock::now() + timeout);
}

/* ---- health ------------------------------------------------------------- */

void case_health(const std::shared_ptr<grpc::Channel> &channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  using Response = grpc::health::v1::HealthCheckResponse;

  for (const char *service : {"", "rectrack.v1.Tracker"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    Response response;
    set_deadline(&context, kPatience);
    request.set_service(service);
    expect_ok(stub->Check(&context, request, &response),
              std::string("Check \"") + service + "\"");
    expect(response.status() == Response::SERVING,
           std::string("Check \"") + service + "\" is not SERVING");
  }
  {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    Response response;
    set_deadline(&context, kPatience);
    request.set_service("no.such.Service");
    expect_code(stub->Check(&context, request, &response),
                StatusCode::NOT_FOUND, "Check of an unknown service");
  }
  {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    Response response;
    set_deadline(&context, kPatience);
    auto reader = stub->Watch(&context, request);
    expect(reader->Read(&response), "Watch sent no first status");
    expect(response.status() == Response::SERVING, "Watch: not SERVING");
    context.TryCancel();
    while (reader->Read(&response)) {
    }
    expect_code(reader->Finish(), StatusCode::CANCELLED, "cancelled Watch");
  }
}

/* ---- reflection --------------------------------------------------------- */

/* One ServerReflectionInfo stream, either protocol version: the two are
 * the same messages in different packages. */
template <typename Service, typename Request, typename Response>
class ReflectionClient {
public:
  explicit ReflectionClient(const std::shared_ptr<grpc::Channel> &channel)
      : stub_(Service::NewStub(channel)) {
    set_deadline(&context_, kPatience);
    stream_ = stub_->ServerReflectionInfo(&context_);
  }

  Response ask(const Request &request) {
    Response response;
    expect(stream_->Write(request), "reflection: write failed");
    expect(stream_->Read(&response), "reflection: no response");
    expect(response.original_request().SerializeAsString() ==
               request.SerializeAsString(),
           "reflection: original_request not echoed");
    return response;
  }

  void finish() {
    expect(stream_->WritesDone(), "reflection: WritesDone failed");
    expect_ok(stream_->Finish(), "reflection stream");
  }

  std::vector<std::string> list_services() {
    Request request;
    request.set_list_services("*");
    Response response = ask(request);
    expect(response.has_list_services_response(), "list_services: no list");
    std::vector<std::string> names;
    for (const auto &service : response.list_services_response().service())
      names.push_back(service.name());
    return names;
  }

  /* The files of a file_descriptor_response; error code otherwise. */
  int files_by_symbol(const std::string &symbol,
                      std::vector<pb::FileDescriptorProto> *files) {
    Request request;
    request.set_file_containing_symbol(symbol);
    return collect(ask(request), files);
  }

  int files_by_name(const std::string &name,
                    std::vector<pb::FileDescriptorProto> *files) {
    Request request;
    request.set_file_by_filename(name);
    return collect(ask(request), files);
  }

private:
  static int collect(const Response &response,
                     std::vector<pb::FileDescriptorProto> *files) {
    if (response.has_error_response())
      return response.error_response().error_code();
    expect(response.has_file_descriptor_response(),
           "reflection: neither files nor an error");
    for (const auto &bytes :
         response.file_descriptor_response().file_descriptor_proto()) {
      pb::FileDescriptorProto file;
      expect(file.ParseFromString(bytes),
             "reflection: a FileDescriptorProto does not parse");
      files->push_back(file);
    }
    return 0;
  }

  std::unique_ptr<typename Service::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> stream_;
};

/* Feeds files into a pool the way grpc_cli's reflection database does:
 * each file may only be built once all its dependencies are known, and a
 * dependency the server did not send is asked for by name. */
template <typename Client> class ReflectedPool {
public:
  explicit ReflectedPool(Client *client) : client_(client) {}

  const pb::DescriptorPool &pool() const { return pool_; }

  void add_symbol(const std::string &symbol) {
    std::vector<pb::FileDescriptorProto> files;
    int code = client_->files_by_symbol(symbol, &files);
    expect(code == 0, "file_containing_symbol " + symbol + ": error " +
                          std::to_string(code));
    add_files(files);
  }

  void add_files(const std::vector<pb::FileDescriptorProto> &files) {
    for (const auto &file : files)
      known_.emplace(file.name(), file);
    for (const auto &file : files)
      build(file.name(), 0);
  }

private:
  void build(const std::string &name, int depth) {
    expect(depth < 32, "reflection: dependency cycle at " + name);
    if (pool_.FindFileByName(name) != nullptr)
      return;
    auto found = known_.find(name);
    if (found == known_.end()) {
      std::vector<pb::FileDescriptorProto> files;
      int code = client_->files_by_name(name, &files);
      expect(code == 0, "dependency " + name + " is not served (error " +
                            std::to_string(code) + ")");
      for (const auto &file : files)
        known_.emplace(file.name(), file);
      found = known_.find(name);
      expect(found != known_.end(),
             "file_by_filename " + name + " did not return that file");
    }
    for (const auto &dependency : found->second.dependency())
      build(dependency, depth + 1);
    expect(pool_.BuildFile(found->second) != nullptr,
           "reflected file " + name + " does not build");
  }

  Client *client_;
  std::map<std::string, pb::FileDescriptorProto> known_;
  pb::DescriptorPool pool_;
};

/* What grpcurl does for "-d '{}' ... Tracker/GetServerInfo": request and
 * response types come from the reflected schema only. */
void call_dynamically(const std::shared_ptr<grpc::Channel> &channel,
                      const pb::DescriptorPool &pool) {
  const pb::MethodDescriptor *method =
      pool.FindMethodByName("rectrack.v1.Tracker.GetServerInfo");
  expect(method != nullptr, "reflected pool lacks Tracker.GetServerInfo");
  pb::DynamicMessageFactory factory(&pool);
  std::unique_ptr<pb::Message> request(
      factory.GetPrototype(method->input_type())->New());
  std::unique_ptr<pb::Message> response(
      factory.GetPrototype(method->output_type())->New());
  std::string bytes;
  request->SerializeToString(&bytes);

  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  grpc::ByteBuffer reply;
  set_deadline(&context, kPatience);
  std::string path =
      "/" + method->service()->full_name() + "/" + method->name();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer send(&slice, 1);
  bool done = false;
  Status status;
  std::mutex mutex;
  std::condition_variable changed;
  stub.UnaryCall(&context, path, grpc::StubOptions(), &send, &reply,
                 [&](Status result) {
                   std::lock_guard<std::mutex> lock(mutex);
                   status = result;
                   done = true;
                   changed.notify_one();
                 });
  {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return done; });
  }
  expect_ok(status, "dynamic GetServerInfo");
  std::vector<grpc::Slice> slices;
  expect(reply.Dump(&slices).ok(), "dynamic GetServerInfo: reply unreadable");
  std::string received;
  for (const auto &part : slices)
    received.append(reinterpret_cast<const char *>(part.begin()), part.size());
  expect(response->ParseFromString(received),
         "dynamic GetServerInfo: reply does not parse");
  const pb::FieldDescriptor *version =
      method->output_type()->FindFieldByName("version");
  expect(version != nullptr, "ServerInfo has no field \"version\"");
  expect(!response->GetReflection()->GetString(*response, version).empty(),
         "dynamic GetServerInfo: empty version");
}

template <typename Client>
void check_symbols(Client *client, const pb::DescriptorPool &pool) {
  /* Symbols of every kind a tool may ask for, and the file that must come
   * first in the answer. */
  const std::map<std::string, std::string> symbols = {
      {"rectrack.v1.Tracker", "rectrack/v1/tracker.proto"},
      {"rectrack.v1.Tracker.GetRecommendation", "rectrack/v1/tracker.proto"},
      {"rectrack.v1.Recommendation", "rectrack/v1/resources.proto"},
      {"rectrack.v1.Recommendation.title", "rectrack/v1/resources.proto"},
      {"rectrack.v1.Status", "rectrack/v1/resources.proto"},
      {"rectrack.v1.STATUS_IMPLEMENTED", "rectrack/v1/resources.proto"},
      {"rectrack.v1.Status.STATUS_IMPLEMENTED", "rectrack/v1/resources.proto"},
      {"grpc.health.v1.HealthCheckResponse.ServingStatus",
       "grpc/health/v1/health.proto"},
      {"grpc.health.v1.HealthCheckResponse.SERVING",
       "grpc/health/v1/health.proto"},
      {"grpc.health.v1.Health.Watch", "grpc/health/v1/health.proto"},
  };
  for (const auto &entry : symbols) {
    std::vector<pb::FileDescriptorProto> files;
    int code = client->files_by_symbol(entry.first, &files);
    expect(code == 0, "file_containing_symbol " + entry.first + ": error " +
                          std::to_string(code));
    expect(!files.empty() && files[0].name() == entry.second,
           "file_containing_symbol " + entry.first + ": first file is not " +
               entry.second);
    expect(pool.FindFileContainingSymbol(entry.first) != nullptr ||
               entry.first == "rectrack.v1.Status.STATUS_IMPLEMENTED",
           "protobuf does not know " + entry.first);
  }
  std::vector<pb::FileDescriptorProto> none;
  expect(client->files_by_symbol("rectrack.v1.NoSuchThing", &none) ==
             StatusCode::NOT_FOUND,
         "unknown symbol: wanted NOT_FOUND");
  expect(client->files_by_name("no/such/file.proto", &none) ==
             StatusCode::NOT_FOUND,
         "unknown file: wanted NOT_FOUND");
}

template <typename Service, typename Request, typename Response>
void reflect(const std::shared_ptr<grpc::Channel> &channel,
             const char *version) {
  using Client = ReflectionClient<Service, Request, Response>;
  Client client(channel);
  ReflectedPool<Client> reflected(&client);
  std::set<std::string> wanted = {"rectrack.v1.Tracker",
                                  "grpc.health.v1.Health",
                                  "grpc.reflection.v1alpha.ServerReflection",
                                  "grpc.reflection.v1.ServerReflection"};
  std::vector<std::string> services = client.list_services();

  std::printf("%s list:\n", version);
  for (const auto &name : services) {
    std::printf("  %s\n", name.c_str());
    wanted.erase(name);
    reflected.add_symbol(name); /* what "grpcurl describe" does */
  }
  expect(wanted.empty(), std::string(version) + " list lacks " +
                             (wanted.empty() ? "" : *wanted.begin()));
  const pb::DescriptorPool &pool = reflected.pool();
  for (const auto &name : services) {
    const pb::ServiceDescriptor *service = pool.FindServiceByName(name);
    expect(service != nullptr, "reflected pool lacks service " + name);
    expect(service->method_count() > 0, name + " has no methods");
  }
  const pb::ServiceDescriptor *tracker =
      pool.FindServiceByName("rectrack.v1.Tracker");
  const pb::MethodDescriptor *watch = tracker->FindMethodByName("WatchChanges");
  expect(watch != nullptr && watch->server_streaming() &&
             !watch->client_streaming(),
         "WatchChanges is not server streaming in the reflected schema");
  expect(pool.FindEnumValueByName("rectrack.v1.STATUS_IMPLEMENTED") != nullptr,
         "reflected schema lacks rectrack.v1.STATUS_IMPLEMENTED");
  std::printf("%s describe rectrack.v1.Tracker: %d methods\n", version,
              tracker->method_count());
  /* Every file, by name, including those only reached as dependencies. */
  std::set<std::string> file_names;
  for (const auto &name : services) {
    const pb::FileDescriptor *file = pool.FindServiceByName(name)->file();
    file_names.insert(file->name());
    for (int i = 0; i < file->dependency_count(); i++)
      file_names.insert(file->dependency(i)->name());
  }
  expect(file_names.size() >= 5, "expected 5 files or more, reflected " +
                                     std::to_string(file_names.size()));
  for (const auto &name : file_names) {
    std::vector<pb::FileDescriptorProto> files;
    expect(client.files_by_name(name, &files) == 0 && !files.empty() &&
               files[0].name() == name,
           "file_by_filename " + name);
  }
  check_symbols(&client, pool);
  client.finish();
  call_dynamically(channel, pool);
}

void case_reflection(const std::shared_ptr<grpc::Channel> &channel) {
  namespace v1alpha = grpc::reflection::v1alpha;
  namespace v1 = grpc::reflection::v1;
  reflect<v1alpha::ServerReflection, v1alpha::ServerReflectionRequest,
          v1alpha::ServerReflectionResponse>(channel, "v1alpha");
  reflect<v1::ServerReflection, v1::ServerReflectionRequest,
          v1::ServerReflectionResponse>(channel, "v1");
}

/* ---- tracker ------------------------------------------------------------ */

void create_source(rectrack::v1::Tracker::Stub *stub, const std::string &id) {
  grpc::ClientContext context;
  rectrack::v1::CreateSourceRequest request;
  rectrack::v1::Source source;
  set_deadline(&context, kPatience);
  context.AddMetadata("x-rectrack-user", "cpp-client");
  context.AddMetadata("x-trace-bin", std::string("\0\1\2\377", 4));
  request.mutable_source()->set_id(id);
  request.mutable_source()->set_title("Interop dialogue " + id);
  request.mutable_source()->set_date("2024-05-01");
  request.set_request_id("interop-" + id);
  expect_ok(stub->CreateSource(&context, request, &source), "CreateSource");
  expect(source.id() == id && source.revision() > 0,
         "CreateSource returned another record");
  expect(context.GetServerTrailingMetadata().count("grpc-status") == 0,
         "grpc-status leaked into application metadata");
}

void check_errors(rectrack::v1::Tracker::Stub *stub) {
  {
    grpc::ClientContext context;
    rectrack::v1::GetSourceRequest request;
    rectrack::v1::Source source;
    set_deadline(&context, kPatience);
    request.set_id("no-such-source");
    Status status = stub->GetSource(&context, request, &source);
    expect_code(status, StatusCode::NOT_FOUND, "GetSource of a missing id");
    expect(status.error_message().find("no-such-source") != std::string::npos,
           "NOT_FOUND message does not name the id: " + describe(status));
  }
  {
    grpc::ClientContext context;
    rectrack::v1::CreateSourceRequest request;
    rectrack::v1::Source source;
    set_deadline(&context, kPatience);
    request.mutable_source()->set_id("untitled");
    Status status = stub->CreateSource(&context, request, &source);
    expect_code(status, StatusCode::INVALID_ARGUMENT, "CreateSource no title");
    expect(status.error_message().find("title") != std::string::npos,
           "INVALID_ARGUMENT message does not name the field: " +
               describe(status));
  }
}

void check_watch(rectrack::v1::Tracker::Stub *stub, const std::string &id) {
  grpc::ClientContext context;
  rectrack::v1::WatchChangesRequest request;
  rectrack::v1::ChangeEvent event;
  bool seen = false;
  /* The backlog arrives, then the stream stays open until the deadline. */
  set_deadline(&context, std::chrono::milliseconds(500));
  request.set_from_revision(1);
  auto reader = stub->WatchChanges(&context, request);
  while (reader->Read(&event))
    seen = seen || event.subject_id() == id;
  expect(seen, "WatchChanges backlog lacks " + id);
  expect_code(reader->Finish(), StatusCode::DEADLINE_EXCEEDED,
              "WatchChanges past its deadline");
}

void check_export(rectrack::v1::Tracker::Stub *stub) {
  for (auto format : {rectrack::v1::EXPORT_FORMAT_CSV, rectrack::v1::EXPORT_FORMAT_JSON, rectrack::v1::EXPORT_FORMAT_HTML,
                      rectrack::v1::EXPORT_FORMAT_XLSX}) {
    grpc::ClientContext context;
    rectrack::v1::ExportReviewRequest request;
    rectrack::v1::ExportChunk chunk;
    std::string content_type, data;
    set_deadline(&context, kPatience);
    request.set_from_date("2024-01-01");
    request.set_to_date("2024-12-31");
    request.set_format(format);
    auto reader = stub->ExportReview(&context, request);
    while (reader->Read(&chunk)) {
      if (content_type.empty())
        content_type = chunk.content_type();
      data += chunk.data();
    }
    std::string name = rectrack::v1::ExportFormat_Name(format);
    expect_ok(reader->Finish(), "ExportReview " + name);
    expect(!content_type.empty() && !data.empty(),
           "ExportReview " + name + " sent no typed data");
  }
}

void check_cancel(rectrack::v1::Tracker::Stub *stub) {
  grpc::ClientContext context;
  rectrack::v1::WatchChangesRequest request;
  rectrack::v1::ChangeEvent event;
  set_deadline(&context, kPatience);
  request.set_from_revision(1);
  auto reader = stub->WatchChanges(&context, request);
  expect(reader->Read(&event), "WatchChanges sent nothing to cancel after");
  context.TryCancel();
  while (reader->Read(&event)) {
  }
  expect_code(reader->Finish(), StatusCode::CANCELLED, "cancelled watch");
}

/* A client that compresses its requests. C-core compresses a message
 * only when that makes it smaller, hence the long, repetitive text. */
void check_compression(rectrack::v1::Tracker::Stub *stub) {
  for (auto algorithm : {GRPC_COMPRESS_GZIP, GRPC_COMPRESS_DEFLATE}) {
    grpc::ClientContext context;
    rectrack::v1::CreateSourceRequest request;
    rectrack::v1::Source source;
    std::string id = "compressed-" + std::to_string(algorithm);
    std::string text;
    for (int i = 0; i < 200; i++)
      text += "Remittance costs down to 3 per cent. ";
    set_deadline(&context, kPatience);
    context.set_compression_algorithm(algorithm);
    request.mutable_source()->set_id(id);
    request.mutable_source()->set_title("Compressed " + id);
    request.mutable_source()->set_description(text);
    expect_ok(stub->CreateSource(&context, request, &source),
              "compressed CreateSource " + id);
    expect(source.id() == id && source.description() == text,
           "compressed CreateSource stored another record");
  }
}

void case_tracker(const std::shared_ptr<grpc::Channel> &channel) {
  auto stub = rectrack::v1::Tracker::NewStub(channel);
  create_source(stub.get(), "interop-cpp");
  {
    grpc::ClientContext context;
    rectrack::v1::GetSourceRequest request;
    rectrack::v1::Source source;
    set_deadline(&context, kPatience);
    request.set_id("interop-cpp");
    expect_ok(stub->GetSource(&context, request, &source), "GetSource");
    expect(source.title() == "Interop dialogue interop-cpp",
           "GetSource title: " + source.title());
  }
  check_errors(stub.get());
  check_compression(stub.get());
  check_watch(stub.get(), "interop-cpp");
  check_export(stub.get());
  check_cancel(stub.get());
  {
    grpc::ClientContext context;
    rectrack::v1::GetServerInfoRequest request;
    rectrack::v1::ServerInfo info;
    set_deadline(&context, kPatience);
    expect_ok(stub->GetServerInfo(&context, request, &info), "GetServerInfo");
    expect(info.source_count() >= 1, "GetServerInfo: no sources counted");
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s HOST:PORT health|reflection|tracker\n",
                 argv[0]);
    return 2;
  }
  auto channel =
      grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());
  expect(
      channel->WaitForConnected(std::chrono::system_clock::now() + kPatience),
      std::string("cannot connect to ") + argv[1]);
  std::string which = argv[2];
  if (which == "health")
    case_health(channel);
  else if (which == "reflection")
    case_reflection(channel);
  else if (which == "tracker")
    case_tracker(channel);
  else
    fail("unknown case " + which);
  std::printf("%s: ok\n", which.c_str());
  return 0;
}
