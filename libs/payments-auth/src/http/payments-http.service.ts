import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';

/**
 * `@nestjs/axios`'s HttpService on an Axios instance owned by this module, with the payments-auth interceptor
 * attached. A distinct class, so injecting it can never be confused with an application's own HttpService
 * (whose instance stays untouched), and the global axios default is never modified.
 */
@Injectable()
export class PaymentsHttpService extends HttpService {}
