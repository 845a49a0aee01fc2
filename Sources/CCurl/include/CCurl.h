#ifndef CCURL_H
#define CCURL_H

// Types and constants only: the library itself is opened with dlopen on the first provider request,
// so a daemon that never calls a provider never maps libcurl, OpenSSL or their dependencies.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stddef.h>

/// Opens libcurl.so.4 and initialises it, once per process. Returns 0 on success; otherwise writes a
/// readable reason into `reason` (at most `capacity` bytes, NUL-terminated) and returns -1. Later
/// calls return the first call's result.
int ccurl_load(char *reason, size_t capacity);

// Thin calls through the loaded library. Swift cannot call C variadics, so curl_easy_setopt and
// curl_easy_getinfo get one non-variadic wrapper per argument type.
CURL *ccurl_easy_init(void);
void ccurl_easy_cleanup(CURL *easy);
CURLcode ccurl_easy_setopt_long(CURL *easy, CURLoption option, long value);
CURLcode ccurl_easy_setopt_pointer(CURL *easy, CURLoption option, const void *value);
CURLcode ccurl_easy_setopt_offset(CURL *easy, CURLoption option, curl_off_t value);
CURLcode ccurl_easy_setopt_write_function(CURL *easy, CURLoption option, size_t (*function)(char *, size_t, size_t, void *));
CURLcode ccurl_easy_getinfo_long(CURL *easy, CURLINFO info, long *value);
const char *ccurl_easy_strerror(CURLcode code);

CURLM *ccurl_multi_init(void);
CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
CURLMcode ccurl_multi_add_handle(CURLM *multi, CURL *easy);
CURLMcode ccurl_multi_remove_handle(CURLM *multi, CURL *easy);
CURLMcode ccurl_multi_perform(CURLM *multi, int *running);
CURLMcode ccurl_multi_poll(CURLM *multi, int timeout_ms, int *descriptors);
CURLMcode ccurl_multi_wakeup(CURLM *multi);
/// The next finished transfer: its handle and result; returns 0 when there is none.
int ccurl_multi_next_done(CURLM *multi, CURL **easy, CURLcode *result);

struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *text);
void ccurl_slist_free_all(struct curl_slist *list);

/// Names the calling thread (as `top -H` and /proc show it).
void ccurl_name_thread(const char *name);

#endif
