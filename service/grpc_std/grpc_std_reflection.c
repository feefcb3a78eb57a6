/*
 * grpc_std_reflection: ServerReflectionInfo. Each request message is answered
 * by one response message on the same stream (a bidi stream), and the
 * stream ends OK when the client half-closes. Responses echo the request
 * (original_request) as the protocol asks. Building a response allocates
 * only a few small arrays; the descriptor bytes themselves are pointed at,
 * not copied, until rt_call_send frames them.
 *
 * A request of a few dozen bytes can ask for tens of kilobytes, so a client
 * that keeps asking without reading would make the server queue without
 * bound (HTTP/2 flow control holds the responses back, not the requests).
 * Once more than RT_REFLECTION_MAX_QUEUED bytes of responses wait, the
 * stream ends with RESOURCE_EXHAUSTED; a client that reads each answer
 * before asking again, as grpcurl and grpc_cli do, never gets near it.
 */
#include "rt_grpc_std.h"

#include <stdlib.h>
#include <string.h>

#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "grpc_std_descriptor.h"
#include "rt_pbwire.h"

typedef Grpc__Reflection__V1alpha__ServerReflectionRequest request_t;
typedef Grpc__Reflection__V1alpha__ServerReflectionResponse response_t;

#define RT_REFLECTION_MAX_QUEUED (4u * 1024 * 1024)

#define REQ(x) GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__##x
#define RESP(x) GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__##x

struct rt_reflection {
  rt_server_t *server;
  rt_descriptor_pool_t pool;
  rt_method_t methods[2];
};

static void handle_info(rt_call_t *call, const uint8_t *request, size_t len);

int rt_reflection_new(rt_reflection_t **out, rt_server_t *server,
                      const uint8_t *descriptor_set, size_t len,
                      rt_error_t *err) {
  rt_reflection_t *reflection = calloc(1, sizeof(*reflection));
  int rc;

  *out = NULL;
  if (reflection == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  rc = rt_descriptor_pool_parse(&reflection->pool, descriptor_set, len, err);
  if (rc != 0) {
    free(reflection);
    return rc;
  }
  reflection->server = server;
  reflection->methods[0] = (rt_method_t){
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      RT_METHOD_BIDI_STREAMING, handle_info, NULL, reflection};
  reflection->methods[1] =
      (rt_method_t){"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                    RT_METHOD_BIDI_STREAMING, handle_info, NULL, reflection};
  *out = reflection;
  return 0;
}

const rt_method_t *rt_reflection_methods(rt_reflection_t *reflection,
                                         size_t *count) {
  *count = 2;
  return reflection->methods;
}

void rt_reflection_free(rt_reflection_t *reflection) {
  if (reflection == NULL)
    return;
  rt_descriptor_pool_free(&reflection->pool);
  free(reflection);
}

/* Packs and sends response; returns 0 or fails the call. */
static int send_response(rt_call_t *call, response_t *response) {
  size_t len =
      grpc__reflection__v1alpha__server_reflection_response__get_packed_size(
          response);
  uint8_t *buf = malloc(len > 0 ? len : 1);
  int rc;

  if (buf == NULL) {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return RT_ENOMEM;
  }
  grpc__reflection__v1alpha__server_reflection_response__pack(response, buf);
  rc = rt_call_send(call, buf, len);
  free(buf);
  if (rc != 0)
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED,
                 "reflection response exceeds the message size limit");
  return rc;
}

static int send_error(rt_call_t *call, response_t *response, int code,
                      const char *message) {
  Grpc__Reflection__V1alpha__ErrorResponse error =
      GRPC__REFLECTION__V1ALPHA__ERROR_RESPONSE__INIT;

  error.error_code = code;
  error.error_message = (char *)message;
  response->message_response_case = RESP(MESSAGE_RESPONSE_ERROR_RESPONSE);
  response->error_response = &error;
  return send_response(call, response);
}

static int send_services(rt_reflection_t *reflection, rt_call_t *call,
                         response_t *response) {
  Grpc__Reflection__V1alpha__ListServiceResponse list =
      GRPC__REFLECTION__V1ALPHA__LIST_SERVICE_RESPONSE__INIT;
  size_t count = rt_server_service_count(reflection->server);
  Grpc__Reflection__V1alpha__ServiceResponse *entries =
      calloc(count + 1, sizeof(*entries));
  Grpc__Reflection__V1alpha__ServiceResponse **pointers =
      calloc(count + 1, sizeof(*pointers));
  size_t i;
  int rc = RT_ENOMEM;

  if (entries != NULL && pointers != NULL) {
    for (i = 0; i < count; i++) {
      grpc__reflection__v1alpha__service_response__init(&entries[i]);
      entries[i].name = (char *)rt_server_service_name(reflection->server, i);
      pointers[i] = &entries[i];
    }
    list.n_service = count;
    list.service = pointers;
    response->message_response_case =
        RESP(MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
    response->list_services_response = &list;
    rc = send_response(call, response);
  } else {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
  }
  free(entries);
  free(pointers);
  return rc;
}

static int send_files(rt_reflection_t *reflection, rt_call_t *call,
                      response_t *response, const rt_descriptor_file_t *file) {
  Grpc__Reflection__V1alpha__FileDescriptorResponse files =
      GRPC__REFLECTION__V1ALPHA__FILE_DESCRIPTOR_RESPONSE__INIT;
  size_t capacity = reflection->pool.file_count;
  const rt_descriptor_file_t **closure = calloc(capacity, sizeof(*closure));
  ProtobufCBinaryData *protos = calloc(capacity, sizeof(*protos));
  size_t count, i;
  int rc = RT_ENOMEM;

  if (closure != NULL && protos != NULL) {
    count = rt_descriptor_pool_closure(&reflection->pool, file, closure);
    for (i = 0; i < count; i++) {
      protos[i].data = (uint8_t *)closure[i]->proto;
      protos[i].len = closure[i]->proto_len;
    }
    files.n_file_descriptor_proto = count;
    files.file_descriptor_proto = protos;
    response->message_response_case =
        RESP(MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
    response->file_descriptor_response = &files;
    rc = send_response(call, response);
  } else {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
  }
  free(closure);
  free(protos);
  return rc;
}

static int send_extension_numbers(rt_reflection_t *reflection, rt_call_t *call,
                                  response_t *response, const char *type) {
  Grpc__Reflection__V1alpha__ExtensionNumberResponse numbers =
      GRPC__REFLECTION__V1ALPHA__EXTENSION_NUMBER_RESPONSE__INIT;
  rt_symbol_kind_t kind;

  if (rt_descriptor_pool_find_symbol(&reflection->pool, type, &kind) == NULL ||
      kind != RT_SYMBOL_MESSAGE)
    return send_error(call, response, RT_GRPC_NOT_FOUND, "type not found");
  numbers.base_type_name = (char *)type;
  response->message_response_case =
      RESP(MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE);
  response->all_extension_numbers_response = &numbers;
  return send_response(call, response);
}

/* Answers one decoded request. */
static void answer(rt_reflection_t *reflection, rt_call_t *call,
                   request_t *request) {
  response_t response =
      GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__INIT;
  const rt_descriptor_file_t *file;

  response.valid_host = request->host;
  response.original_request = request;
  switch (request->message_request_case) {
  case REQ(MESSAGE_REQUEST_LIST_SERVICES):
    send_services(reflection, call, &response);
    break;
  case REQ(MESSAGE_REQUEST_FILE_BY_FILENAME):
    file = rt_descriptor_pool_find_file(&reflection->pool,
                                        request->file_by_filename);
    if (file != NULL)
      send_files(reflection, call, &response, file);
    else
      send_error(call, &response, RT_GRPC_NOT_FOUND, "file not found");
    break;
  case REQ(MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL):
    file = rt_descriptor_pool_find_symbol(
        &reflection->pool, request->file_containing_symbol, NULL);
    if (file != NULL)
      send_files(reflection, call, &response, file);
    else
      send_error(call, &response, RT_GRPC_NOT_FOUND, "symbol not found");
    break;
  case REQ(MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE):
    send_extension_numbers(reflection, call, &response,
                           request->all_extension_numbers_of_type);
    break;
  case REQ(MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION):
    send_error(call, &response, RT_GRPC_NOT_FOUND, "extension not found");
    break;
  default:
    send_error(call, &response, RT_GRPC_INVALID_ARGUMENT,
               "no message_request set");
    break;
  }
}

static void handle_info(rt_call_t *call, const uint8_t *message, size_t len) {
  rt_reflection_t *reflection = rt_call_method_data(call);
  request_t *request;

  if (message == NULL) {
    rt_call_finish(call, RT_GRPC_OK, NULL); /* the client half-closed */
    return;
  }
  if (rt_call_pending_bytes(call) > RT_REFLECTION_MAX_QUEUED) {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED,
                 "too many reflection responses queued: the client is "
                 "not reading them");
    return;
  }
  request = grpc__reflection__v1alpha__server_reflection_request__unpack(
      NULL, len, message);
  if (request == NULL) {
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT,
                 "ServerReflectionRequest does not decode");
    return;
  }
  /* The answer echoes the request: one protobuf-c lets through with a
   * field numbered 0 would come back undecodable (rt_pbwire.h). */
  if (rt_pbwire_has_field_zero(&request->base)) {
    grpc__reflection__v1alpha__server_reflection_request__free_unpacked(request,
                                                                        NULL);
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT,
                 "ServerReflectionRequest holds a field numbered 0, which the "
                 "protobuf encoding does not allow");
    return;
  }
  answer(reflection, call, request);
  grpc__reflection__v1alpha__server_reflection_request__free_unpacked(request,
                                                                      NULL);
}
