/** What a user asked to attach to a new address: the recorder hands it on, the repository stores it. */
export interface AddressAnnotations {
  readonly label?: string;
  readonly description?: string;
  readonly userMetadata?: Readonly<Record<string, string>>;
  readonly requestId?: string;
}
