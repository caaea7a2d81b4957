import type { z } from 'zod'

/**
 * Bad input from an HTTP body, a definition or a token: becomes an HTTP 4xx with
 * `{error:{code,message,path}}`. `path` is the dotted location of the offending value.
 */
export class InputError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly path = '',
    readonly status = 400,
  ) {
    super(message)
    this.name = 'InputError'
  }

  static fromZod(code: string, error: z.ZodError): InputError {
    const issue = error.issues[0]
    const path = issue ? issue.path.map(String).join('.') : ''
    return new InputError(code, issue ? issue.message : 'invalid input', path)
  }
}
