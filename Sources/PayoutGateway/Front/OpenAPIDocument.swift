/// The merchant API's OpenAPI 3.1 document, served at `/openapi.json`. The committed `openapi.json` at the
/// repository's top is the same document: edit that file and run `python3 .ci/embed-openapi.py`
/// (OpenAPIDocumentTests fails while they differ).
enum OpenAPIDocument {
    static let json = ##"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "payout-gateway merchant API",
    "version": "1.0.0",
    "description": "The JSON:API payout-invoices dialect the gateway serves to merchants (a merchant already on that dialect changes only its base URL), its public API, the provider callbacks and the operational endpoints. Errors use the dialect's shapes: validation 422 `{\"errors\":{field: message}}`, everything else `{\"errors\":[{\"status\",\"code\",\"detail\"?}]}`. What the gateway adds to an invoice is under `attributes.gateway`."
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "security": [
    {
      "basicAuth": []
    }
  ],
  "tags": [
    {
      "name": "invoices"
    },
    {
      "name": "catalogue"
    },
    {
      "name": "public"
    },
    {
      "name": "callbacks"
    },
    {
      "name": "operations"
    }
  ],
  "paths": {
    "/api/payout-invoices": {
      "post": {
        "tags": [
          "invoices"
        ],
        "operationId": "createPayoutInvoice",
        "summary": "Create a payout invoice",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "replays the stored answer for the same body; 422 for another body",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 255
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/CreateInvoiceRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Created.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InvoiceDocument"
                }
              }
            },
            "links": {
              "GetCreatedInvoice": {
                "operationId": "getPayoutInvoice",
                "parameters": {
                  "id": "$response.body#/data/id"
                }
              },
              "ProcessCreatedInvoice": {
                "operationId": "processPayoutInvoice",
                "parameters": {
                  "id": "$response.body#/data/id"
                }
              },
              "GetCreatedInvoicePublicly": {
                "operationId": "getPublicPayoutInvoice",
                "parameters": {
                  "id": "$response.body#/data/id"
                }
              }
            }
          },
          "200": {
            "description": "An Idempotency-Key replay of an earlier answer.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InvoiceDocument"
                }
              }
            }
          },
          "409": {
            "description": "An invoice with this reference_id exists (returned with the error).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ConflictDocument"
                }
              }
            }
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          }
        }
      },
      "get": {
        "tags": [
          "invoices"
        ],
        "operationId": "listPayoutInvoices",
        "summary": "List invoices (newest first) or find one by reference",
        "parameters": [
          {
            "name": "filter[reference_id]",
            "in": "query",
            "required": false,
            "description": "the merchant's reference: a list of one, or 404",
            "schema": {
              "type": "string",
              "maxLength": 128
            }
          },
          {
            "name": "page[size]",
            "in": "query",
            "required": false,
            "description": "1–100 (default 20)",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 100
            }
          },
          {
            "name": "page[before]",
            "in": "query",
            "required": false,
            "description": "an invoice id: older ones",
            "schema": {
              "type": "string",
              "maxLength": 128
            }
          },
          {
            "name": "page[after]",
            "in": "query",
            "required": false,
            "description": "an invoice id: newer ones",
            "schema": {
              "type": "string",
              "maxLength": 128
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Invoices.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InvoiceList"
                }
              }
            }
          },
          "404": {
            "description": "No invoice has this reference.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          }
        }
      }
    },
    "/api/payout-invoices/{id}": {
      "get": {
        "tags": [
          "invoices"
        ],
        "operationId": "getPayoutInvoice",
        "summary": "One invoice with its callback logs",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The invoice id (`cpoi_…`).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The invoice.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InvoiceDocument"
                }
              }
            }
          },
          "404": {
            "description": "No such invoice.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          }
        }
      }
    },
    "/api/payout-invoices/{id}/process": {
      "post": {
        "tags": [
          "invoices"
        ],
        "operationId": "processPayoutInvoice",
        "summary": "Start processing an invoice created with auto_process false",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The invoice id (`cpoi_…`).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The invoice.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InvoiceDocument"
                }
              }
            }
          },
          "404": {
            "description": "No such invoice.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "409": {
            "description": "The invoice can no longer be processed.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          }
        }
      }
    },
    "/api/payout-services": {
      "get": {
        "tags": [
          "catalogue"
        ],
        "operationId": "listPayoutServices",
        "summary": "The catalogue: one entry per service and currency",
        "parameters": [
          {
            "name": "page[number]",
            "in": "query",
            "required": false,
            "description": "1–100000",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 100000
            }
          },
          {
            "name": "page[size]",
            "in": "query",
            "required": false,
            "description": "1–100 (default 20)",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 100
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Catalogue entries.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ServiceList"
                }
              }
            }
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          }
        }
      }
    },
    "/api/payout-services/{id}": {
      "get": {
        "tags": [
          "catalogue"
        ],
        "operationId": "getPayoutService",
        "summary": "One catalogue entry (by `comcpos_…` id or service code)",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The entry.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "data"
                  ],
                  "properties": {
                    "data": {
                      "$ref": "#/components/schemas/ServiceEntry"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such entry.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          }
        }
      }
    },
    "/public-api/payout-prerequest": {
      "post": {
        "tags": [
          "public"
        ],
        "operationId": "payoutPrerequest",
        "summary": "Services usable for a currency (and amount), with their destination fields",
        "security": [],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/PrerequestRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Services and methods.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PrerequestDocument"
                }
              }
            }
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          }
        }
      }
    },
    "/public-api/payout-invoices": {
      "get": {
        "tags": [
          "public"
        ],
        "operationId": "findPublicPayoutInvoice",
        "summary": "The public shape of an invoice, by reference",
        "security": [
          {
            "publicKeyHeader": []
          },
          {
            "publicKeyQuery": []
          }
        ],
        "parameters": [
          {
            "name": "filter[reference_id]",
            "in": "query",
            "required": false,
            "description": "the merchant's reference",
            "schema": {
              "type": "string",
              "maxLength": 128
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The invoice, flat.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PublicInvoice"
                }
              }
            }
          },
          "404": {
            "description": "No such invoice.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          }
        }
      }
    },
    "/public-api/payout-invoices/{id}": {
      "get": {
        "tags": [
          "public"
        ],
        "operationId": "getPublicPayoutInvoice",
        "summary": "The public shape of an invoice",
        "security": [
          {},
          {
            "publicKeyHeader": []
          },
          {
            "publicKeyQuery": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The invoice id (`cpoi_…`).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The invoice, flat.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PublicInvoice"
                }
              }
            }
          },
          "404": {
            "description": "No such invoice.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          }
        }
      }
    },
    "/callbacks/{provider}": {
      "parameters": [
        {
          "name": "provider",
          "in": "path",
          "required": true,
          "description": "the provider id of routes.json",
          "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64
          }
        }
      ],
      "post": {
        "tags": [
          "callbacks"
        ],
        "operationId": "providerCallbackPost",
        "summary": "A provider's callback (JSON:API: signed JSON; PaynetEasy: form with control)",
        "security": [],
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {}
            },
            "application/x-www-form-urlencoded": {
              "schema": {
                "type": "object"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Accepted; the gateway confirms by a status query.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "The body cannot be read.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "403": {
            "description": "The signature or control does not match.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "404": {
            "description": "No such provider or payout.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "413": {
            "description": "The body is larger than 64 KiB.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          }
        }
      },
      "get": {
        "tags": [
          "callbacks"
        ],
        "operationId": "providerCallbackGet",
        "summary": "A PaynetEasy callback as query parameters",
        "security": [],
        "responses": {
          "200": {
            "description": "Accepted.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "The callback cannot be read.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "403": {
            "description": "The control does not match.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "404": {
            "description": "No such provider or payout.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          },
          "413": {
            "description": "Too large.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorArray"
                }
              }
            }
          }
        }
      }
    },
    "/health": {
      "get": {
        "tags": [
          "operations"
        ],
        "operationId": "health",
        "summary": "Liveness",
        "security": [],
        "responses": {
          "200": {
            "description": "The process answers.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "status": {
                      "const": "ok"
                    },
                    "instance": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/ready": {
      "get": {
        "tags": [
          "operations"
        ],
        "operationId": "ready",
        "summary": "Readiness: the store answers and a routing table is loaded",
        "security": [],
        "responses": {
          "200": {
            "description": "Ready.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Readiness"
                }
              }
            }
          },
          "503": {
            "description": "Not ready, with the problems.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Readiness"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "tags": [
          "operations"
        ],
        "operationId": "metrics",
        "summary": "Prometheus metrics",
        "security": [],
        "responses": {
          "200": {
            "description": "The text exposition format.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "tags": [
          "operations"
        ],
        "operationId": "openapi",
        "summary": "This document",
        "security": [],
        "responses": {
          "200": {
            "description": "OpenAPI 3.1.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "responses": {
      "BadRequest": {
        "description": "The body is not valid JSON, or not an object.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorArray"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "Missing or wrong credentials.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorArray"
            }
          }
        }
      },
      "TooLarge": {
        "description": "The body is larger than 64 KiB.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorArray"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "Not a JSON media type.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorArray"
            }
          }
        }
      },
      "TooManyRequests": {
        "description": "Too many requests (the merchant's rate, or the engine's backlog): repeat after Retry-After seconds.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorArray"
            }
          }
        },
        "headers": {
          "Retry-After": {
            "description": "seconds to wait (1–60)",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+$"
            }
          }
        }
      },
      "ValidationFailed": {
        "description": "Validation failed: field-keyed messages.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ValidationErrors"
            }
          }
        }
      },
      "NotFound": {
        "description": "No such resource.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorArray"
            }
          }
        }
      }
    },
    "securitySchemes": {
      "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "account id : API key"
      },
      "publicKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Public-Key"
      },
      "publicKeyQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "public_key"
      }
    },
    "schemas": {
      "ErrorArray": {
        "type": "object",
        "required": [
          "errors"
        ],
        "properties": {
          "errors": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "status",
                "code"
              ],
              "properties": {
                "status": {
                  "type": "string"
                },
                "code": {
                  "type": "string"
                },
                "title": {
                  "type": "string"
                },
                "detail": {
                  "type": "string"
                }
              }
            }
          }
        }
      },
      "ValidationErrors": {
        "type": "object",
        "required": [
          "errors"
        ],
        "properties": {
          "errors": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          }
        }
      },
      "CreateInvoiceRequest": {
        "type": "object",
        "required": [
          "data"
        ],
        "properties": {
          "data": {
            "type": "object",
            "required": [
              "attributes"
            ],
            "properties": {
              "type": {
                "enum": [
                  "payout-invoice",
                  "payout-invoices"
                ]
              },
              "attributes": {
                "type": "object",
                "required": [
                  "service",
                  "currency",
                  "amount",
                  "reference_id"
                ],
                "properties": {
                  "service": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 64,
                    "examples": [
                      "card"
                    ]
                  },
                  "currency": {
                    "type": "string",
                    "pattern": "^[A-Z]{3}$",
                    "examples": [
                      "USD"
                    ]
                  },
                  "amount": {
                    "anyOf": [
                      {
                        "type": "number",
                        "exclusiveMinimum": 0
                      },
                      {
                        "type": "string",
                        "pattern": "^[0-9]+(\\.[0-9]+)?$"
                      }
                    ]
                  },
                  "reference_id": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 128
                  },
                  "fields": {
                    "type": "object",
                    "description": "destination fields of the service (see the prerequest)",
                    "additionalProperties": {
                      "type": [
                        "string",
                        "number"
                      ]
                    },
                    "maxProperties": 50
                  },
                  "description": {
                    "type": "string",
                    "maxLength": 1024
                  },
                  "callback_url": {
                    "type": "string",
                    "maxLength": 2048,
                    "description": "https (outside the demo), public addresses only"
                  },
                  "test_mode": {
                    "type": "boolean"
                  },
                  "metadata": {
                    "type": "object"
                  },
                  "customer": {
                    "type": "object"
                  },
                  "options": {
                    "type": "object",
                    "properties": {
                      "auto_process": {
                        "type": "boolean"
                      }
                    }
                  }
                }
              }
            }
          }
        }
      },
      "Invoice": {
        "type": "object",
        "required": [
          "type",
          "id",
          "attributes"
        ],
        "properties": {
          "type": {
            "const": "payout-invoices"
          },
          "id": {
            "type": "string"
          },
          "attributes": {
            "type": "object",
            "required": [
              "status",
              "resolution",
              "amount",
              "currency",
              "reference_id"
            ],
            "properties": {
              "serial_number": {
                "type": "string"
              },
              "status": {
                "$ref": "#/components/schemas/Status"
              },
              "resolution": {
                "type": "string"
              },
              "amount": {
                "type": "number",
                "description": "an amount in major units with at most the currency's minor-unit decimals"
              },
              "payout_amount": {
                "type": "number",
                "description": "an amount in major units with at most the currency's minor-unit decimals"
              },
              "currency": {
                "type": "string"
              },
              "service": {
                "type": "string"
              },
              "service_currency": {
                "type": "string"
              },
              "service_amount": {
                "type": "number",
                "description": "an amount in major units with at most the currency's minor-unit decimals"
              },
              "service_payout_amount": {
                "type": "number",
                "description": "an amount in major units with at most the currency's minor-unit decimals"
              },
              "reference_id": {
                "type": "string"
              },
              "test_mode": {
                "type": "boolean"
              },
              "description": {
                "anyOf": [
                  {
                    "type": "string"
                  },
                  {
                    "type": "null"
                  }
                ]
              },
              "fee": {
                "type": "number",
                "description": "an amount in major units with at most the currency's minor-unit decimals"
              },
              "writeoff": {
                "type": "number",
                "description": "an amount in major units with at most the currency's minor-unit decimals"
              },
              "processed": {
                "anyOf": [
                  {
                    "type": "number"
                  },
                  {
                    "type": "null"
                  }
                ]
              },
              "processed_amount": {
                "anyOf": [
                  {
                    "type": "number",
                    "description": "an amount in major units with at most the currency's minor-unit decimals"
                  },
                  {
                    "type": "null"
                  }
                ]
              },
              "processed_fee": {
                "type": "number",
                "description": "an amount in major units with at most the currency's minor-unit decimals"
              },
              "processed_writeoff": {
                "anyOf": [
                  {
                    "type": "number",
                    "description": "an amount in major units with at most the currency's minor-unit decimals"
                  },
                  {
                    "type": "null"
                  }
                ]
              },
              "metadata": {
                "type": "object"
              },
              "created": {
                "type": "number"
              },
              "updated": {
                "type": "number"
              },
              "fields": {
                "type": "object",
                "description": "masked"
              },
              "callback_url": {
                "anyOf": [
                  {
                    "type": "string"
                  },
                  {
                    "type": "null"
                  }
                ]
              },
              "callback_logs": {
                "type": "array",
                "items": {
                  "type": "object"
                }
              },
              "gateway": {
                "type": "object",
                "description": "what the gateway adds: provider, routing decision, attempts, redirect URL, pending reason"
              }
            }
          },
          "relationships": {
            "type": "object"
          },
          "links": {
            "type": "object"
          }
        }
      },
      "Status": {
        "type": "string",
        "examples": [
          "created",
          "processing",
          "process_pending",
          "processed",
          "process_failed",
          "expired",
          "canceled",
          "terminated"
        ]
      },
      "InvoiceDocument": {
        "type": "object",
        "required": [
          "data"
        ],
        "properties": {
          "data": {
            "$ref": "#/components/schemas/Invoice"
          }
        }
      },
      "ConflictDocument": {
        "type": "object",
        "required": [
          "errors"
        ],
        "properties": {
          "data": {
            "$ref": "#/components/schemas/Invoice"
          },
          "errors": {
            "type": "array"
          }
        }
      },
      "InvoiceList": {
        "type": "object",
        "required": [
          "data"
        ],
        "properties": {
          "data": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Invoice"
            }
          },
          "meta": {
            "type": "object"
          },
          "links": {
            "type": "object"
          }
        }
      },
      "ServiceEntry": {
        "type": "object",
        "required": [
          "type",
          "id",
          "attributes"
        ],
        "properties": {
          "type": {
            "const": "payout-services"
          },
          "id": {
            "type": "string"
          },
          "attributes": {
            "type": "object",
            "properties": {
              "service": {
                "type": "string"
              },
              "service_method": {
                "type": "string"
              },
              "service_currency": {
                "type": "string"
              },
              "available": {
                "type": "boolean"
              },
              "amount_min": {
                "anyOf": [
                  {
                    "type": "number"
                  },
                  {
                    "type": "null"
                  }
                ]
              },
              "amount_max": {
                "anyOf": [
                  {
                    "type": "number"
                  },
                  {
                    "type": "null"
                  }
                ]
              },
              "fields": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Field"
                }
              }
            }
          }
        }
      },
      "ServiceList": {
        "type": "object",
        "required": [
          "data"
        ],
        "properties": {
          "data": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ServiceEntry"
            }
          },
          "meta": {
            "type": "object"
          },
          "links": {
            "type": "object"
          }
        }
      },
      "Field": {
        "type": "object",
        "required": [
          "key"
        ],
        "properties": {
          "key": {
            "type": "string"
          },
          "type": {
            "type": "string"
          },
          "label": {
            "type": "object"
          },
          "example": {
            "anyOf": [
              {
                "type": "string"
              },
              {
                "type": "null"
              }
            ]
          },
          "hint": {
            "type": "object"
          },
          "regexp": {
            "anyOf": [
              {
                "type": "string"
              },
              {
                "type": "null"
              }
            ]
          },
          "required": {
            "type": "boolean"
          },
          "position": {
            "type": "number"
          }
        }
      },
      "PrerequestRequest": {
        "type": "object",
        "required": [
          "currency",
          "public_key"
        ],
        "properties": {
          "currency": {
            "type": "string",
            "pattern": "^[A-Z]{3}$"
          },
          "amount": {
            "anyOf": [
              {
                "type": "number",
                "exclusiveMinimum": 0
              },
              {
                "type": "string"
              },
              {
                "type": "null"
              }
            ]
          },
          "public_key": {
            "type": "string",
            "maxLength": 256
          }
        }
      },
      "PrerequestDocument": {
        "type": "object",
        "required": [
          "data"
        ],
        "properties": {
          "data": {
            "type": "object",
            "properties": {
              "currency": {
                "type": "string"
              },
              "test_mode": {
                "type": "boolean"
              },
              "services": {
                "type": "object",
                "additionalProperties": {
                  "type": "object",
                  "properties": {
                    "fields": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Field"
                      }
                    }
                  }
                }
              },
              "methods": {
                "type": "object"
              },
              "account": {
                "type": "object"
              }
            }
          }
        }
      },
      "PublicInvoice": {
        "type": "object",
        "required": [
          "data"
        ],
        "properties": {
          "data": {
            "type": "object",
            "properties": {
              "id": {
                "type": "string"
              },
              "status": {
                "$ref": "#/components/schemas/Status"
              },
              "currency": {
                "type": "string"
              },
              "amount": {
                "type": "number",
                "description": "an amount in major units with at most the currency's minor-unit decimals"
              }
            }
          }
        }
      },
      "Readiness": {
        "type": "object",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "enum": [
              "ready",
              "not_ready"
            ]
          },
          "instance": {
            "type": "string"
          },
          "routes": {
            "type": "integer"
          },
          "providers": {
            "type": "integer"
          },
          "problems": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        }
      }
    }
  }
}
"""##
}
